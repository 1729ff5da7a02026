package reconcile

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// withDefaults merges spec.templateDefaults under a template, as Argo
// does before it runs any template.
func (o *op) withDefaults(t *wfv1.Template) (*wfv1.Template, error) {
	if o.spec.TemplateDefaults == nil {
		return t, nil
	}
	return mergeTemplateDefaults(o.spec.TemplateDefaults, t)
}

// mergeTemplateDefaults returns t laid over defaults the way Argo lays
// it: first the defaults lose every template-type block (container,
// script, steps, dag...) but t's own type, so a steps template never
// becomes a container; then t is a Kubernetes strategic merge patch over
// them: objects merge key by key, the lists Kubernetes and Argo mark
// mergeable merge by their key, and every other value set on t replaces
// the default's. Neither argument is changed.
func mergeTemplateDefaults(defaults, t *wfv1.Template) (*wfv1.Template, error) {
	types := t.Types()
	base, err := toMap(defaults)
	if err != nil {
		return nil, fmt.Errorf("spec.templateDefaults: %w", err)
	}
	for _, typ := range wfv1.TemplateTypes {
		if len(types) != 1 || typ != types[0] {
			delete(base, typ)
		}
	}
	over, err := toMap(t)
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", t.Name, err)
	}
	merged, err := json.Marshal(mergeObject(base, over, ""))
	if err != nil {
		return nil, fmt.Errorf("template %q with spec.templateDefaults: %w", t.Name, err)
	}
	var out wfv1.Template
	if err := json.Unmarshal(merged, &out); err != nil {
		return nil, fmt.Errorf("template %q with spec.templateDefaults: %w", t.Name, err)
	}
	return &out, nil
}

func toMap(t *wfv1.Template) (map[string]any, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// templateMergeKeys are the lists of a template that a strategic merge
// merges element by element (Argo's patchMergeKey tags), by path; "[]"
// stands for any element of a list.
var templateMergeKeys = map[string]string{
	"volumes": "name", "initContainers": "name", "sidecars": "name",
	"tolerations": "key", "hostAliases": "ip", "dag.tasks": "name",
	"inputs.parameters": "name", "inputs.artifacts": "name",
	"outputs.parameters": "name", "outputs.artifacts": "name",
}

// containerMergeKeys are those of a Kubernetes container.
var containerMergeKeys = map[string]string{
	"env": "name", "ports": "containerPort", "volumeMounts": "mountPath",
	"volumeDevices": "devicePath", "resizePolicy": "resourceName",
}

var containerPaths = []string{"container.", "script.", "initContainers[].", "sidecars[]."}

func mergeKeyOf(path string) string {
	if k, ok := templateMergeKeys[path]; ok {
		return k
	}
	for _, p := range containerPaths {
		if rest, ok := strings.CutPrefix(path, p); ok {
			return containerMergeKeys[rest]
		}
	}
	return ""
}

func mergeObject(base, over map[string]any, path string) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		p := k
		if path != "" {
			p = path + "." + k
		}
		out[k] = mergeValue(out[k], v, p)
	}
	return out
}

func mergeValue(base, over any, path string) any {
	switch ov := over.(type) {
	case map[string]any:
		if bv, ok := base.(map[string]any); ok {
			return mergeObject(bv, ov, path)
		}
	case []any:
		if bv, ok := base.([]any); ok {
			if key := mergeKeyOf(path); key != "" {
				return mergeList(bv, ov, key, path+"[]")
			}
		}
	}
	return over
}

// mergeList merges two lists of objects by key: the base's elements keep
// their place (merged with the template's element of the same key), and
// the template's other elements follow in their order.
func mergeList(base, over []any, key, path string) []any {
	out := append([]any{}, base...)
	for _, ov := range over {
		om, ok := ov.(map[string]any)
		matched := false
		for i, bv := range out {
			bm, isMap := bv.(map[string]any)
			if ok && isMap && om[key] != nil && fmt.Sprint(bm[key]) == fmt.Sprint(om[key]) {
				out[i] = mergeObject(bm, om, path)
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, ov)
		}
	}
	return out
}

package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/jsoncopy"
)

// globalScope holds the workflow.* names every template sees.
func (o *op) globalScope() expr.Scope {
	wf := o.wf
	s := expr.Scope{
		"workflow.name":               wf.Metadata.Name,
		"workflow.namespace":          wf.Metadata.Namespace,
		"workflow.uid":                wf.Metadata.UID,
		"workflow.serviceAccountName": o.spec.ServiceAccountName,
		"workflow.priority":           strconv.Itoa(int(o.spec.GetPriority())),
		"workflow.mainEntrypoint":     o.spec.Entrypoint,
	}
	if wf.Metadata.CreationTimestamp != nil {
		ct := wf.Metadata.CreationTimestamp.UTC()
		s["workflow.creationTimestamp"] = ct.Format(time.RFC3339)
		s["workflow.creationTimestamp.RFC3339"] = ct.Format(time.RFC3339)
		s["workflow.creationTimestamp.s"] = strconv.FormatInt(ct.Unix(), 10)
	}
	if wf.Status.StartedAt != nil {
		s["workflow.duration"] = strconv.FormatFloat(o.now.Sub(*wf.Status.StartedAt).Seconds(), 'f', -1, 64)
	}
	// The whole-object forms are Argo's: the parameters as the JSON array
	// spec.arguments.parameters is, labels and annotations as objects. Set
	// first, so that one named "json" wins as in Argo.
	wholeJSON(s, "workflow.parameters", o.spec.Arguments.Parameters, o.spec.Arguments.Parameters == nil)
	wholeJSON(s, "workflow.labels", wf.Metadata.Labels, wf.Metadata.Labels == nil)
	wholeJSON(s, "workflow.annotations", wf.Metadata.Annotations, wf.Metadata.Annotations == nil)
	for _, p := range o.spec.Arguments.Parameters {
		s["workflow.parameters."+p.Name] = paramValue(p)
	}
	if wf.Status.Outputs != nil {
		for _, p := range wf.Status.Outputs.Parameters {
			s["workflow.outputs.parameters."+p.Name] = paramValue(p)
		}
	}
	for k, v := range wf.Metadata.Labels {
		s["workflow.labels."+k] = v
	}
	for k, v := range wf.Metadata.Annotations {
		s["workflow.annotations."+k] = v
	}
	return s
}

// wholeJSON sets name and name.json to v as JSON. isNil says v is a nil
// map or slice, which encodes as null: most workflows have no labels or
// parameters, and this runs on every reconcile.
func wholeJSON(s expr.Scope, name string, v any, isNil bool) {
	if isNil {
		s[name] = "null"
		s[name+".json"] = "null"
		return
	}
	if b, err := json.Marshal(v); err == nil {
		s[name] = string(b)
		s[name+".json"] = string(b)
	}
}

func paramValue(p wfv1.Parameter) string {
	if p.Value != nil {
		return string(*p.Value)
	}
	if p.Default != nil {
		return string(*p.Default)
	}
	return ""
}

// inputs binds a call's arguments to a template's inputs and returns the
// scope its body sees.
func (o *op) inputs(t *wfv1.Template, args wfv1.Arguments) (*wfv1.Inputs, expr.Scope, error) {
	scope := maps.Clone(o.global)
	in := &wfv1.Inputs{}
	for _, p := range t.Inputs.Parameters {
		var v *wfv1.AnyString
		for _, a := range args.Parameters {
			if a.Name == p.Name {
				v = a.Value
			}
		}
		if v != nil && string(*v) == absentArg {
			// The argument only referred to a skipped producer's output
			// that has no default: not supplied, as Argo's ProcessArgs has it.
			if p.Value == nil && p.Default == nil && p.ValueFrom == nil {
				return nil, nil, fmt.Errorf("inputs.parameters.%s: argument references an absent optional (skipped/omitted node output with no default)", p.Name)
			}
			v = nil
		}
		switch {
		case v != nil:
		case p.Value != nil:
			r, err := expr.Replace(string(*p.Value), scope, false)
			if err != nil {
				return nil, nil, fmt.Errorf("inputs.parameters.%s: %w", p.Name, err)
			}
			v = ptr(wfv1.AnyString(r))
		case p.Default != nil:
			v = p.Default
		case p.ValueFrom != nil && p.ValueFrom.ConfigMapKeyRef != nil:
			s, err := o.configMapValue(p.ValueFrom.ConfigMapKeyRef.Name, p.ValueFrom.ConfigMapKeyRef.Key)
			if err != nil {
				return nil, nil, fmt.Errorf("inputs.parameters.%s: %w", p.Name, err)
			}
			v = ptr(wfv1.AnyString(s))
		default:
			return nil, nil, fmt.Errorf("template %q: inputs.parameters.%s was not supplied", t.Name, p.Name)
		}
		q := p
		q.Value, q.Default, q.ValueFrom = v, nil, nil
		in.Parameters = append(in.Parameters, q)
		scope["inputs.parameters."+p.Name] = string(*v)
	}
	if len(in.Parameters) > 0 {
		if b, err := json.Marshal(in.Parameters); err == nil {
			scope["inputs.parameters"] = string(b)
		}
	}
	if err := checkAbsentArtifactArgs(t, args); err != nil {
		return nil, nil, err
	}
	for _, a := range t.Inputs.Artifacts {
		b, ok, err := bindInputArtifact(t.Name, a, args.Artifacts)
		if err != nil {
			return nil, nil, err
		}
		in.Artifacts = append(in.Artifacts, b)
		if a.Path != "" {
			scope["inputs.artifacts."+a.Name+".path"] = a.Path
		}
		if ok {
			scope["inputs.artifacts."+a.Name] = artifactJSON(b)
		}
	}
	markAbsentInputArtifacts(scope, in.Artifacts)
	for _, a := range t.Outputs.Artifacts {
		if a.Path != "" {
			scope["outputs.artifacts."+a.Name+".path"] = a.Path
		}
	}
	return in, scope, nil
}

// substituteArgs is substitute for a call's arguments. Most calls pass
// none, and none encode as {}, which decodes to the zero value.
func substituteArgs(args wfv1.Arguments, scope expr.Scope) (wfv1.Arguments, error) {
	if len(args.Parameters) == 0 && len(args.Artifacts) == 0 {
		return wfv1.Arguments{}, nil
	}
	return substitute(args, scope)
}

// substitute returns a copy of v with every string's placeholders
// replaced. Values are replaced inside decoded strings, so a value holding
// quotes or newlines cannot break the structure. The copy never shares a
// map or slice with v.
func substitute[T any](v T, scope expr.Scope) (T, error) {
	if out, ok := jsonCopy(&v, scope); ok {
		return out, nil
	}
	var out T
	raw, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	if treeInvariant(raw) {
		// Most steps have nothing to replace: one decode is the copy the
		// generic tree's two extra passes would have given.
		err = json.Unmarshal(raw, &out)
		return out, err
	}
	var tree any
	if err := jsoncopy.UnmarshalNumbers(raw, &tree); err != nil {
		return out, err
	}
	tree, err = replaceTree(tree, scope)
	if err != nil {
		// replaceTree changed tree in place; raw still holds the original.
		var orig any
		_ = jsoncopy.UnmarshalNumbers(raw, &orig)
		if aerr := firstAbsent(orig, scope); aerr != nil {
			return out, aerr
		}
		return out, err
	}
	raw, err = json.Marshal(tree)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(raw, &out)
	return out, err
}

// treeInvariant says that decoding raw into a generic tree and encoding
// it again cannot change what raw decodes to. It could if a
// string holds a placeholder, if a withItems list is present (its items
// are kept as raw bytes, which the tree re-encodes with sorted keys and
// canonical escapes), or if an integer has more digits than a float64
// holds exactly (the tree keeps its text, but a map[string]any field
// would not). Digits inside strings only make the answer conservative.
func treeInvariant(raw []byte) bool {
	if bytes.Contains(raw, []byte("{{")) || bytes.Contains(raw, []byte(`"withItems"`)) {
		return false
	}
	run := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			run = 0
			continue
		}
		// 15 digits stay below 2^53, so float64 keeps them exactly.
		if run++; run > 15 {
			return false
		}
	}
	return true
}

func replaceTree(v any, scope expr.Scope) (any, error) {
	switch x := v.(type) {
	case string:
		s, err := expr.Replace(x, scope, false)
		if err != nil {
			return nil, err
		}
		if err := checkResolved(s); err != nil {
			return nil, err
		}
		return s, nil
	case []any:
		for i := range x {
			r, err := replaceTree(x[i], scope)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	case map[string]any:
		for k := range x {
			r, err := replaceTree(x[k], scope)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	}
	return v, nil
}

// firstAbsent is the absent-optional error for v's first reference (in
// key order) to a skipped producer's defaultless output, nil if none. Argo
// reports it before any other unresolved reference, and it must not
// depend on which of a map's strings was replaced first.
func firstAbsent(v any, scope expr.Scope) error {
	switch x := v.(type) {
	case string:
		return checkAbsent(x, scope)
	case []any:
		for _, e := range x {
			if err := firstAbsent(e, scope); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			if err := firstAbsent(x[k], scope); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkResolved fails on references that must have a value by now; other
// unknown placeholders are left verbatim, as Argo does.
func checkResolved(s string) error {
	for _, tag := range expr.Tags(s) {
		for _, prefix := range []string{"inputs.", "steps.", "tasks.", "item", "workflow.parameters."} {
			if strings.HasPrefix(tag, prefix) {
				return fmt.Errorf("failed to resolve {{%s}}", tag)
			}
		}
	}
	return nil
}

// nodeScope adds what later steps may read about a finished node, under
// prefix ("steps.NAME" or "tasks.NAME").
func nodeScope(s expr.Scope, prefix string, n *wfv1.NodeStatus) {
	s[prefix+".id"] = n.ID
	s[prefix+".status"] = n.Phase
	s[prefix+".startedAt"] = fmtTime(n.StartedAt)
	s[prefix+".finishedAt"] = fmtTime(n.FinishedAt)
	if n.PodIP != "" {
		s[prefix+".ip"] = n.PodIP
	}
	if n.Outputs == nil {
		return
	}
	if n.Outputs.Result != nil {
		s[prefix+".outputs.result"] = *n.Outputs.Result
		if strings.Contains(n.Message, resultCutMessage) {
			s[cutKey(prefix)] = "true"
		}
	}
	if n.Outputs.ExitCode != nil {
		s[prefix+".exitCode"] = *n.Outputs.ExitCode
	}
	for _, p := range n.Outputs.Parameters {
		s[prefix+".outputs.parameters."+p.Name] = paramValue(p)
	}
	for _, a := range n.Outputs.Artifacts {
		s[prefix+".outputs.artifacts."+a.Name] = artifactJSON(a)
	}
}

// aggregateScope exposes a loop's outputs as JSON lists, as Argo does:
// outputs.result, outputs.parameters (a list of objects) and
// outputs.parameters.NAME.
func aggregateScope(s expr.Scope, prefix string, children []*wfv1.NodeStatus) {
	var results []any
	var params []map[string]string
	byName := map[string][]string{}
	var names []string
	for _, c := range children {
		if c.Outputs == nil {
			continue
		}
		if c.Outputs.Result != nil {
			results = append(results, parseItem(*c.Outputs.Result))
		}
		if len(c.Outputs.Parameters) > 0 {
			m := map[string]string{}
			for _, p := range c.Outputs.Parameters {
				m[p.Name] = paramValue(p)
				if _, ok := byName[p.Name]; !ok {
					names = append(names, p.Name)
				}
				byName[p.Name] = append(byName[p.Name], paramValue(p))
			}
			params = append(params, m)
		}
	}
	if results != nil {
		b, _ := json.Marshal(results)
		s[prefix+".outputs.result"] = string(b)
	}
	if params != nil {
		b, _ := json.Marshal(params)
		s[prefix+".outputs.parameters"] = string(b)
	}
	for _, name := range names {
		b, _ := json.Marshal(byName[name])
		s[prefix+".outputs.parameters."+name] = string(b)
	}
}

// parseItem keeps a result that is JSON as structured data in an
// aggregate, so `[1,2]` rather than `["1","2"]` feeds the next withParam.
func parseItem(s string) any {
	var v any
	if jsoncopy.UnmarshalNumbers([]byte(s), &v) == nil {
		return v
	}
	return s
}

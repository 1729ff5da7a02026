package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
)

// jsonRoundTrip is the copy deepCopy stands in for: what the store holds
// and gives back after a restart.
func jsonRoundTrip(t *testing.T, wf *wfv1.Workflow) *wfv1.Workflow {
	t.Helper()
	b, err := json.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	var c wfv1.Workflow
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// deepCopy gives what the JSON round trip gives, nil where JSON leaves
// nil, not only the same bytes: {{workflow.parameters}} of a workflow
// with `parameters: []` was [] on its first run and null once reloaded
// from the store.
func TestDeepCopyIsTheJSONRoundTrip(t *testing.T) {
	docs := map[string]string{
		"empty lists and maps": `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: emptyp, annotations: {}, labels: {}}
spec:
  entrypoint: s
  arguments: {parameters: [], artifacts: []}
  nodeSelector: {}
  templates:
  - name: s
    inputs: {parameters: []}
    outputs: {parameters: []}
    steps:
    - - {name: a, template: t, arguments: {parameters: []}, withItems: []}
    - []
  - name: t
    metadata: {annotations: {}}
    container: {image: alpine, command: [echo, hi], args: [], env: []}
`,
		"items and values": `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: iv-}
spec:
  entrypoint: s
  arguments: {parameters: [{name: n, value: 5}, {name: b, value: true}, {name: s, value: "<&>"}]}
  templates:
  - name: s
    retryStrategy: {limit: "{{workflow.parameters.n}}"}
    steps:
    - - {name: a, template: t, withItems: [1, "a", {"b": 1, "a": [2.50, null]}, [], {}]}
  - {name: t, container: {image: alpine, command: [echo, "{{item}}"]}}
`,
	}
	for name, doc := range docs {
		var wf wfv1.Workflow
		if err := yaml.Unmarshal([]byte(doc), &wf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := jsonRoundTrip(t, &wf)
		got, err := deepCopy(&wf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := firstDiff(reflect.ValueOf(got), reflect.ValueOf(want), "wf"); d != "" {
			t.Errorf("%s: deepCopy and the JSON round trip differ at %s", name, d)
		}
	}
	var filled wfv1.Workflow
	fill(reflect.ValueOf(&filled).Elem(), "wf", 3)
	got, err := deepCopy(&filled)
	if err != nil {
		t.Fatal(err)
	}
	if d := firstDiff(reflect.ValueOf(got), reflect.ValueOf(jsonRoundTrip(t, &filled)), "wf"); d != "" {
		t.Errorf("a filled workflow: deepCopy and the JSON round trip differ at %s", d)
	}
}

// firstDiff names the first place where a and b are not deeply equal,
// nil against empty included; "" when they are.
func firstDiff(a, b reflect.Value, path string) string {
	if a.Kind() != reflect.Struct && a.Kind() != reflect.Pointer && a.Kind() != reflect.Slice && a.Kind() != reflect.Map {
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return fmt.Sprintf("%s: %#v against %#v", path, a.Interface(), b.Interface())
		}
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil %v against nil %v", path, a.IsNil(), b.IsNil())
		}
	}
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() {
			return firstDiff(a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[time.Time]() {
			if !reflect.DeepEqual(a.Interface(), b.Interface()) {
				return fmt.Sprintf("%s: %v against %v", path, a.Interface(), b.Interface())
			}
			return ""
		}
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if d := firstDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: length %d against %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := firstDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case reflect.Map:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return fmt.Sprintf("%s: %#v against %#v", path, a.Interface(), b.Interface())
		}
	}
	return ""
}

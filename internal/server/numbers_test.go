package server_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// A workflow created through the API holds the numbers `semaflow run`
// reads from the same manifest: the request is not decoded through
// float64, which rounds big integers and drops the sign of -0.
func TestCreateKeepsNumbersAsRunReadsThem(t *testing.T) {
	const wf = `{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "nums"},
  "spec": {"entrypoint": "m", "arguments": {"parameters": [{"name": "a", "value": 9007199254740993}, {"name": "b", "value": -0.0}]},
    "templates": [{"name": "m", "steps": [[{"name": "q", "template": "t", "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]},
      "withItems": [-0.0, 12345678901234567890, 9007199254740993, 1.50, {"k": -0.0, "n": 9007199254740993}]}]]},
      {"name": "t", "inputs": {"parameters": [{"name": "i"}]}, "container": {"image": "x", "command": ["echo", "{{inputs.parameters.i}}"]}}]}}`
	f := spec.Parse("nums.json", []byte(wf), spec.Options{Namespace: "default"})
	if len(f.Docs) != 1 || f.Docs[0].Workflow == nil {
		t.Fatalf("the manifest does not parse: %v", f.AllDiags())
	}
	want := f.Docs[0].Workflow

	c := startAPI(t)
	code, _, body := send(t, http.DefaultClient, "POST", c.base+"/api/v1/workflows/default", `{"workflow": `+wf+`}`, nil)
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	var got wfv1.Workflow
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if g, w := got.Spec.Arguments.Parameters, want.Spec.Arguments.Parameters; !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		t.Errorf("arguments through the API %s, as run reads them %s", gb, wb)
	}
	g, _ := json.Marshal(got.Spec.Templates[0].Steps[0][0].WithItems)
	w, _ := json.Marshal(want.Spec.Templates[0].Steps[0][0].WithItems)
	if string(g) != string(w) {
		t.Errorf("withItems through the API %s, as run reads them %s", g, w)
	}
}

package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// A write sent as YAML (the guard lets application/yaml in, as Argo's
// server does) is read as the same object JSON would be: it used to be
// refused as not of the shape {"workflow": {...}}. Broken YAML is a 400.
func TestYAMLBodiesAreRead(t *testing.T) {
	c := startAPI(t)
	body := "workflow:\n  metadata: {name: y1}\n  spec:\n    entrypoint: main\n    templates:\n    - {name: main, container: {image: x, command: [\"true\"]}}\n"
	code, _, b := send(t, http.DefaultClient, "POST", c.base+"/api/v1/workflows/default", body, map[string]string{"Content-Type": "application/yaml"})
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	md, _ := out["metadata"].(map[string]any)
	if code != 200 || md["name"] != "y1" {
		t.Fatalf("YAML submit: %d %s", code, b)
	}
	if code, _, b := send(t, http.DefaultClient, "POST", c.base+"/api/v1/workflows/default", "workflow: [\n", map[string]string{"Content-Type": "application/x-yaml"}); code != 400 {
		t.Fatalf("broken YAML: %d %s, want 400", code, b)
	}
}

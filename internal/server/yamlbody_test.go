package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
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

// A YAML body is held to the bounds of a JSON one: an alias repeating a
// large anchor does not expand past the body limit (it took 640 MB for a
// 1 MiB anchor and 59 aliases), and a key given twice is refused as in
// JSON rather than the last one winning.
func TestYAMLBodiesAreBounded(t *testing.T) {
	c := startAPI(t)
	var bomb strings.Builder
	bomb.WriteString("workflow:\n  metadata:\n    name: y2\n    annotations:\n      a0: &x " + strings.Repeat("A", 1<<20) + "\n")
	for i := 1; i < 60; i++ {
		fmt.Fprintf(&bomb, "      a%d: *x\n", i)
	}
	bomb.WriteString("  spec: {entrypoint: main, templates: [{name: main, container: {image: x, command: [\"true\"]}}]}\n")
	start := time.Now()
	code, _, b := send(t, http.DefaultClient, "POST", c.base+"/api/v1/workflows/default", bomb.String(), map[string]string{"Content-Type": "application/yaml"})
	if code != 400 || !strings.Contains(string(b), "expands to more bytes") {
		t.Fatalf("alias bomb: %d %.200s", code, b)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("alias bomb took %v", d)
	}
	dup := "workflow:\n  metadata: {name: y3}\n  spec:\n    entrypoint: main\n    entrypoint: other\n    templates: [{name: main, container: {image: x, command: [\"true\"]}}]\n"
	code, _, b = send(t, http.DefaultClient, "POST", c.base+"/api/v1/workflows/default", dup, map[string]string{"Content-Type": "application/yaml"})
	if code != 400 || !strings.Contains(string(b), `key \"entrypoint\" appears twice`) {
		t.Fatalf("duplicate key: %d %s", code, b)
	}
}

package server_test

import (
	"fmt"
	"strings"
	"testing"
)

// A name that is not a DNS-1123 subdomain never reaches the engine: the
// API answers 400 naming the field, for every kind it stores.
func TestAPIRefusesPathTraversalNames(t *testing.T) {
	c := startAPI(t)
	okSpec := `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`
	for _, name := range []string{"../../../victim", "..", "a/b", "Upper"} {
		body := fmt.Sprintf(`{"workflow": {"metadata": {"name": %q}, "spec": %s}}`, name, okSpec)
		if code, out := c.do("POST", "/api/v1/workflows/default", body); code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "metadata.name") {
			t.Fatalf("workflow %q: %d %v", name, code, out)
		}
	}
	if code, out := c.do("POST", "/api/v1/workflows/default", `{"workflow": {"metadata": {"generateName": "../"}, "spec": `+okSpec+`}}`); code != 400 ||
		!strings.Contains(fmt.Sprint(out["message"]), "metadata.generateName") {
		t.Fatalf("generateName: %d %v", code, out)
	}
	if code, out := c.do("POST", "/api/v1/workflows/Bad_NS", `{"workflow": {"metadata": {"name": "a"}, "spec": `+okSpec+`}}`); code != 400 ||
		!strings.Contains(fmt.Sprint(out["message"]), "metadata.namespace") {
		t.Fatalf("namespace: %d %v", code, out)
	}
	if code, out := c.do("POST", "/api/v1/workflows/default", `{"workflow": {"metadata": {"name": "a", "labels": {"k": "a b"}}, "spec": `+okSpec+`}}`); code != 400 ||
		!strings.Contains(fmt.Sprint(out["message"]), "metadata.labels.k") {
		t.Fatalf("label: %d %v", code, out)
	}
	if code, out := c.do("POST", "/api/v1/workflow-templates/default", `{"template": {"metadata": {"name": ".."}, "spec": `+okSpec+`}}`); code != 400 ||
		!strings.Contains(fmt.Sprint(out["message"]), "metadata.name") {
		t.Fatalf("template: %d %v", code, out)
	}
	if code, out := c.do("POST", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ../x}\ndata: {k: \"1\"}\n"); code != 400 ||
		!strings.Contains(fmt.Sprint(out["message"]), "metadata.name") {
		t.Fatalf("ConfigMap: %d %v", code, out)
	}
	if code, out := c.do("GET", "/api/v1/workflows/default", ""); code != 200 || len(out["items"].([]any)) != 0 {
		t.Fatalf("something was stored: %d %v", code, out)
	}
}

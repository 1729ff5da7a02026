package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
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

// Even a workflow that bypasses the checks (submitted to the engine
// directly, or stored by an older version) cannot make the engine run a
// step, or retry's cleanup, outside the data directory.
func TestEngineStepDirectoriesStayInsideTheDataDirectory(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "a", "data")
	victim := filepath.Join(root, "a", "victim") // where ../../../victim leads
	other := filepath.Join(data, "workflows", "other-uid")
	for _, d := range []string{victim, other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "keep"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Start(context.Background(), Options{DB: filepath.Join(root, "db.sqlite"), DataDir: data, Self: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Engine.StopAll(true, "test over")
		_ = l.Close()
	})
	ctx := context.Background()
	for _, name := range []string{"../../../victim", ".."} {
		var wf wfv1.Workflow
		if err := json.Unmarshal([]byte(fmt.Sprintf(`{"metadata": {"name": %q, "namespace": "default"}, "spec": {"entrypoint": "main",
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", "echo hi > out; exit 1"]}}]}}`, name)), &wf); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Engine.Submit(ctx, &wf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		waitEnginePhase(t, l, name, wfv1.PhaseFailed)
		if _, err := l.Engine.Retry(ctx, "default", name, reconcile.RetryOptions{}); err != nil {
			t.Fatalf("retry %s: %v", name, err)
		}
		waitEnginePhase(t, l, name, wfv1.PhaseFailed)
		for _, d := range []string{victim, other} {
			entries, err := os.ReadDir(d)
			if err != nil || len(entries) != 1 || entries[0].Name() != "keep" {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("after %q: %s holds %v (%v), want only keep", name, d, names, err)
			}
		}
		if entries, _ := os.ReadDir(filepath.Join(data, "workflows")); len(entries) < 2 {
			t.Fatalf("after %q: the workflows directory holds %d entries", name, len(entries))
		}
	}
}

func waitEnginePhase(t *testing.T, l *App, name, phase string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		wf, err := l.Engine.Get(context.Background(), "default", name)
		if err == nil && wf.Status.Phase == phase && !l.Engine.Running(wf.Metadata.UID) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v %v, want %s", name, wf, err, phase)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

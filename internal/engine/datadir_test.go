package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/testkit"
)

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
	l := testkit.Open(t, testkit.Options{DB: filepath.Join(root, "db.sqlite"), DataDir: data})
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

func waitEnginePhase(t *testing.T, l *testkit.Local, name, phase string) {
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

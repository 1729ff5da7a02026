package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

func runExplain(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newExplainCmd(func(string) string { return "" })
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SetContext(context.Background())
	err := cmd.Execute()
	return out.String(), err
}

// explain takes @latest, as every verb that names a workflow does: the
// server resolves it, and --db finds the newest workflow itself; a
// server's refusal is not prefixed twice (hostile 19, LOW).
func TestExplainLatest(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":5,"message":"explain default/x: workflow default/x: not found"}`))
	}))
	defer srv.Close()
	_, err := runExplain(t, "--server", srv.URL, "@latest")
	if len(paths) != 1 || paths[0] != "/api/v1/workflows/default/@latest/explain" {
		t.Fatalf("explain @latest asked %v (err %v); want the server to resolve @latest", paths, err)
	}
	_, err = runExplain(t, "--server", srv.URL, "x")
	if err == nil || strings.Count(err.Error(), "explain default/x") != 1 {
		t.Fatalf("explain x: %v; want the prefix once", err)
	}

	db := filepath.Join(t.TempDir(), "x.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"older", "newest"} {
		at := time.Unix(int64(1000+i), 0)
		wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "default", Name: name, UID: "u-" + name, CreationTimestamp: &at},
			Spec: wfv1.WorkflowSpec{Entrypoint: "main"}, Status: wfv1.WorkflowStatus{Phase: wfv1.PhaseSucceeded}}
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) }); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	out, err := runExplain(t, "--db", db, "@latest")
	if err != nil || !strings.Contains(out, "newest") {
		t.Fatalf("explain --db @latest: %v\n%s", err, out)
	}
}

package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeServer answers every GET 404 and records every other request.
func fakeServer(t *testing.T) (*remote, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var writes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":5,"message":"not found"}`))
			return
		}
		mu.Lock()
		writes = append(writes, r.Method+" "+r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return &remote{server: srv.URL, namespace: "default", getenv: func(string) string { return "" }}, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), writes...)
	}
}

const cmDoc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pool}\ndata: {seats: \"2\"}\n"

func runCobra(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRoot(func(string) string { return "" })
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// apply -f of a file that holds a Workflow too refuses before applying
// anything (hostile 19, LOW: it applied the ConfigMap, then failed).
func TestApplyRefusesWorkflowsBeforeApplying(t *testing.T) {
	r, writes := fakeServer(t)
	f := filepath.Join(t.TempDir(), "both.yaml")
	wf := "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: w-}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: a}}\n"
	if err := os.WriteFile(f, []byte(cmDoc+"---\n"+wf), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCobra(t, "apply", "--server", r.server, "-f", f)
	if err == nil || !strings.Contains(err.Error(), "semaflow submit") || !strings.Contains(err.Error(), "nothing was applied") {
		t.Fatalf("apply of a ConfigMap and a Workflow: %v", err)
	}
	if w := writes(); len(w) != 0 {
		t.Fatalf("apply wrote %v before refusing", w)
	}
}

// submit of a file with only ConfigMaps says what it applied.
func TestSubmitSaysWhatItApplied(t *testing.T) {
	r, writes := fakeServer(t)
	f := filepath.Join(t.TempDir(), "cm.yaml")
	if err := os.WriteFile(f, []byte(cmDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCobra(t, "submit", "--server", r.server, f)
	if err != nil || !strings.Contains(out, "ConfigMap/pool applied") || len(writes()) != 1 {
		t.Fatalf("submit of a ConfigMap: %v, writes %v\n%s", err, writes(), out)
	}
}

// template create refused by lint says nothing was applied, not run.
func TestTemplateCreateRefusalSaysApplied(t *testing.T) {
	r, _ := fakeServer(t)
	f := filepath.Join(t.TempDir(), "bad.yaml")
	bad := "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: t}\nspec:\n  entrypoint: nowhere\n  templates:\n  - {name: main, container: {image: a}}\n"
	if err := os.WriteFile(f, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCobra(t, "template", "create", "--server", r.server, f)
	if err == nil || !strings.Contains(stderr, "nothing was applied") || strings.Contains(stderr, "nothing was run") {
		t.Fatalf("template create of a bad file: %v\n%s", err, stderr)
	}
}

package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// A data job lists the source in the repository and transforms the list
// (nothing stored is an empty list); a kill ends it with its reason, the
// deadline with Argo's; a subPath that leaves the artifact and a source
// that is no repository are refused naming the source; its log says what
// was listed.
func TestRunData(t *testing.T) {
	repo := t.TempDir()
	tree := filepath.Join(t.TempDir(), "d")
	if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a.csv", "b.txt", "sub/c.csv"} {
		if err := os.WriteFile(filepath.Join(tree, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := artifacts.OpenLocal(repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Save(context.Background(), "wf/n/out", tree); err != nil {
		t.Fatal(err)
	}
	e := &Engine{dataSlots: make(chan struct{}, 1), now: time.Now}
	src := func(key string) dataSrc { return dataSrc{name: "files", lister: l, key: key} }
	dir := filepath.Join(t.TempDir(), "step")
	const csv = `filter(data, {# endsWith ".csv"})`
	res := e.runData(context.Background(), "k", dir, src("wf/n/out"), []string{csv}, time.Time{})
	if res.Stdout != `["wf/n/out/a.csv","wf/n/out/sub/c.csv"]` || res.ExitCode != 0 || res.StartError != "" {
		t.Fatalf("listed %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "log")); !strings.Contains(string(b), "listed 3 file(s) under wf/n/out") {
		t.Fatalf("log %q", b)
	}
	if res := e.runData(context.Background(), "k", dir, src("wf/n/out/sub"), nil, time.Time{}); res.Stdout != `["wf/n/out/sub/c.csv"]` {
		t.Fatalf("below the key: %+v", res)
	}
	if res := e.runData(context.Background(), "k", dir, src("wf/nothing"), nil, time.Time{}); res.Stdout != `[]` || res.StartError != "" {
		t.Fatalf("nothing stored: %+v", res)
	}
	if res := e.runData(context.Background(), "k", dir, src("../x"), nil, time.Time{}); !strings.Contains(res.StartError, `data.source.artifactPaths "files": `) {
		t.Fatalf("a bad key: %+v", res)
	}
	wf := &wfv1.Workflow{}
	art := wfv1.Artifact{Name: "files", SubPath: "../other", ArtifactLocation: wfv1.ArtifactLocation{S3: &wfv1.S3Artifact{Key: "wf/n/out"}}}
	if _, err := e.dataSource(wf, art); err == nil || !strings.Contains(err.Error(), `subPath "../other" leaves the artifact`) {
		t.Fatalf("escaping subPath: %v", err)
	}
	art.SubPath, art.S3, art.Git = "", nil, wfv1.Object{"repo": "https://x"}
	if _, err := e.dataSource(wf, art); err == nil || !strings.Contains(err.Error(), "git artifacts cannot be listed") {
		t.Fatalf("git source: %v", err)
	}
	if res := e.runData(context.Background(), "k", dir, src("wf/n/out"), []string{"data", "data + 1"}, time.Time{}); res.ExitCode != 1 || !strings.Contains(res.ExecError, "transformation 2") {
		t.Fatalf("bad expression: %+v", res)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("Stopped with strategy 'Terminate'"))
	if res := e.runData(ctx, "k", dir, src("wf/n/out"), nil, time.Time{}); res.Killed != "Stopped with strategy 'Terminate'" {
		t.Fatalf("killed: %+v", res)
	}
	if res := e.runData(context.Background(), "k", dir, src("wf/n/out"), nil, time.Now().Add(-time.Second)); res.Killed != reconcile.PodDeadlineMessage {
		t.Fatalf("past its deadline: %+v", res)
	}
	// Every slot taken: the job waits, and a kill still ends it.
	e.dataSlots <- struct{}{}
	ctx, cancel = context.WithCancelCause(context.Background())
	time.AfterFunc(10*time.Millisecond, func() { cancel(errors.New("killed while waiting")) })
	if res := e.runData(ctx, "k", dir, src("wf/n/out"), nil, time.Time{}); res.Killed != "killed while waiting" {
		t.Fatalf("waiting for a slot: %+v", res)
	}
}

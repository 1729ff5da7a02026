package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/testkit"
)

// dripServer answers one byte every 2 s for as long as the client reads
// (an input artifact that takes hours); got is closed at the first request.
func dripServer(t *testing.T) (*httptest.Server, chan struct{}) {
	got := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(got) })
		if r.URL.Path == "/hang" {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Length", "100000")
		for {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func fetchWorkflow(name, url, extra string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: r
  templates:
  - name: r
%s    inputs: {artifacts: [{name: a, path: /tmp/i, http: {url: "%s"}}]}
    container: {image: x, command: [sh, -c, "ls /tmp/i"]}
`, name, extra, url)
}

// Terminate, delete and a deadline interrupt an input download: a fetch
// takes a context they cancel, and the workflow's loop is not held by it.
func TestTerminateDeleteDeadlineInterruptAFetch(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	ctx := context.Background()
	const within = 30 * time.Second // the drip lasts 10 min, a hang 1 min before this fix

	srv, got := dripServer(t)
	wf, err := l.Engine.Submit(ctx, testkit.ParseWorkflow(t, fetchWorkflow("drip-term", srv.URL+"/drip", "")))
	if err != nil {
		t.Fatal(err)
	}
	<-got
	if !l.Engine.Stop(wf.Metadata.UID, true, "") {
		t.Fatal("the workflow is not running")
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	done, err := l.Engine.Wait(wctx, wf.Metadata.UID)
	if err != nil {
		t.Fatalf("terminate did not end a workflow downloading an input within %s: %v", within, err)
	}
	if done.Status.Phase != "Failed" {
		t.Fatalf("terminated: phase %s (%s)", done.Status.Phase, done.Status.Message)
	}

	srv2, got2 := dripServer(t)
	if _, err := l.Engine.Submit(ctx, testkit.ParseWorkflow(t, fetchWorkflow("drip-del", srv2.URL+"/drip", ""))); err != nil {
		t.Fatal(err)
	}
	<-got2
	dctx, dcancel := context.WithTimeout(ctx, within)
	defer dcancel()
	if err := l.Engine.Delete(dctx, "default", "drip-del"); err != nil {
		t.Fatalf("delete of a workflow downloading an input: %v", err)
	}

	srv3, _ := dripServer(t)
	wf, err = l.Engine.Submit(ctx, testkit.ParseWorkflow(t, fetchWorkflow("hang-deadline", srv3.URL+"/hang", "    activeDeadlineSeconds: 2\n")))
	if err != nil {
		t.Fatal(err)
	}
	wctx3, cancel3 := context.WithTimeout(ctx, within)
	defer cancel3()
	done, err = l.Engine.Wait(wctx3, wf.Metadata.UID)
	if err != nil {
		t.Fatalf("a 2 s deadline did not end a step whose input hangs within %s: %v", within, err)
	}
	var msg string
	for _, n := range done.Status.Nodes {
		if n.TemplateName == "r" {
			msg = n.Message
		}
	}
	if done.Status.Phase != "Failed" || !strings.Contains(msg, "deadline") {
		t.Fatalf("deadline: phase %s, node message %q", done.Status.Phase, msg)
	}

	// The workflow's own deadline too: its loop is the one a download holds.
	srv4, _ := dripServer(t)
	text := strings.Replace(fetchWorkflow("hang-wf-deadline", srv4.URL+"/hang", ""), "  entrypoint: r\n", "  entrypoint: r\n  activeDeadlineSeconds: 2\n", 1)
	wf, err = l.Engine.Submit(ctx, testkit.ParseWorkflow(t, text))
	if err != nil {
		t.Fatal(err)
	}
	wctx4, cancel4 := context.WithTimeout(ctx, within)
	defer cancel4()
	done, err = l.Engine.Wait(wctx4, wf.Metadata.UID)
	if err != nil {
		t.Fatalf("a 2 s workflow deadline did not end a workflow whose input hangs within %s: %v", within, err)
	}
	if done.Status.Phase != "Failed" || !strings.Contains(done.Status.Message, "deadline") {
		t.Fatalf("workflow deadline: phase %s, message %q", done.Status.Phase, done.Status.Message)
	}
}

// A step's input download is its time, as Argo's init container's is
// the pod's: the node runs from the start of the download.
func TestInputDownloadCountsInTheStepDuration(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte("slow"))
	}))
	defer srv.Close()
	wf := testkit.RunWorkflow(t, l.Engine, testkit.ParseWorkflow(t, fetchWorkflow("slow-input", srv.URL+"/f", "")))
	if wf.Status.Phase != "Succeeded" {
		t.Fatalf("phase %s: %s", wf.Status.Phase, wf.Status.Message)
	}
	for _, n := range wf.Status.Nodes {
		if n.TemplateName != "r" {
			continue
		}
		if n.StartedAt == nil || n.FinishedAt == nil {
			t.Fatalf("node %s has no start or end", n.Name)
		}
		// Times are kept to the second: a 3 s download is at least 2 s.
		if d := n.FinishedAt.Sub(*n.StartedAt); d < 2*time.Second {
			t.Fatalf("the step lasted %s, but its input took 3 s to download", d)
		}
	}
}

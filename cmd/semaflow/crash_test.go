package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// The server is killed with SIGKILL three times, at random moments, while
// 50 workflows share a limit-3 semaphore; each time a new server starts
// on the same database. All 50 must succeed, the steps' own timestamps
// must never show more than 3 holders, tokens must never repeat (a step
// granted before a kill may start after the restart with its lower token), and at
// the end the lock must have no holder and no waiter.
func TestServerSurvivesKill9WithoutLeakOrDoubleGrant(t *testing.T) {
	log := syncLog(t)
	db := filepath.Join(t.TempDir(), "crash.db")
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)

	s := startServer(t, "--db", db)
	if code, out := httpDo(t, "POST", s.url+"/api/v1/configmaps/default", "", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {db: \"3\"}\n"); code != 200 {
		t.Fatalf("apply limit: %d %v", code, out)
	}
	const n = 50
	for i := range n {
		body := fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "c%02d"},
		  "spec": {"entrypoint": "main", "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "db"}}]},
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`, i, recordStep(log, "$SEMAFLOW_WORKFLOW", "0.2"))
		if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", body); code != 200 {
			t.Fatalf("submit c%02d: %d %v", i, code, out)
		}
	}
	for kill := range 3 {
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		_ = s.cmd.Process.Kill()
		if err := <-s.done; err == nil {
			t.Fatal("the server exited cleanly after SIGKILL")
		}
		t.Logf("kill %d done", kill+1)
		s = startServer(t, "--db", db)
	}
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; i < n; {
		name := fmt.Sprintf("c%02d", i)
		switch p := wfPhase(t, s.url, name); p {
		case "Succeeded":
			i++
			continue
		case "Failed", "Error", "":
			_, out := httpDo(t, "GET", s.url+"/api/v1/workflows/default/"+name, "", "")
			t.Fatalf("%s ended %q: %v", name, p, out["status"])
		}
		if time.Now().After(deadline) {
			_, wf := httpDo(t, "GET", s.url+"/api/v1/workflows/default/"+name, "", "")
			_, locks := httpDo(t, "GET", s.url+"/api/v1/sync-status", "", "")
			t.Fatalf("%s still %s after 60 s: %v\nlocks: %v", name, wfPhase(t, s.url, name), wf["status"], locks)
		}
		time.Sleep(50 * time.Millisecond)
	}
	events := readLog(t, log)
	starts := 0
	for _, e := range events {
		if e.start {
			starts++
		}
	}
	if starts < n {
		t.Fatalf("%d steps started, want at least %d", starts, n)
	}
	if peak := maxConcurrent(events); peak > 3 {
		t.Fatalf("peak %d holders of a limit-3 semaphore across 3 kills", peak)
	}
	tokensUnique(t, events, "default/ConfigMap/limits/db")
	_, out := httpDo(t, "GET", s.url+"/api/v1/sync-status?lock=default/ConfigMap/limits/db", "", "")
	items, _ := out["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("sync status: %v", out)
	}
	lock := items[0].(map[string]any)
	if h, w := lock["holders"].(map[string]any), lock["waiters"].([]any); len(h) != 0 || len(w) != 0 {
		t.Fatalf("after all 50 ended: holders %v, waiters %v", h, w)
	}
	s.stop(t)
}

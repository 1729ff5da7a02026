package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A token scoped to team-a explains team-a's workflows only: a shared
// lock's holders and waiters of team-b show as "(a workflow of another
// namespace)", never by name, and team-b's workflows are refused.
func TestScopedTokenExplainsItsOwnNamespace(t *testing.T) {
	c := reachAPI(t)
	wf := func(ns, name string, prio int) string {
		return fmt.Sprintf(`{"workflow": {"metadata": {"name": %q, "namespace": %q}, "spec": {"entrypoint": "main", "priority": %d,
		  "synchronization": {"mutexes": [{"name": "shared", "namespace": "team-a"}]},
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "30"]}}]}}}`, name, ns, prio)
	}
	// team-b's holder first, then team-a's waiter, then a team-b waiter
	// of higher priority that stands ahead of it.
	for _, w := range []struct {
		ns, name string
		prio     int
	}{{"team-b", "bee-holder", 0}, {"team-a", "ant", 0}, {"team-b", "bee-ahead", 5}} {
		if code, body := c.do(adminToken, "POST", "/api/v1/workflows/"+w.ns, wf(w.ns, w.name, w.prio)); code != 200 {
			t.Fatalf("submit %s/%s: %d %s", w.ns, w.name, code, body)
		}
		if w.name == "bee-holder" {
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, body := c.do(adminToken, "GET", "/api/v1/sync-status", "")
				if strings.Contains(body, "team-b/bee-holder") {
					break
				}
				if time.Now().After(deadline) {
					_, wfb := c.do(adminToken, "GET", "/api/v1/workflows/team-b/bee-holder", "")
					t.Fatalf("team-b's holder never held the mutex: %s\n%s", body, wfb)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		var code int
		code, body = c.do(teamAToken, "GET", "/api/v1/workflows/team-a/ant/explain", "")
		if code != 200 {
			t.Fatalf("team-a's token explains team-a/ant: %d %s", code, body)
		}
		if strings.Contains(body, `"position":2,"length":2`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("team-a/ant never stood second of two: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(body, "bee") || strings.Contains(body, "team-b") {
		t.Errorf("team-a's token sees team-b's names through explain:\n%s", body)
	}
	for _, want := range []string{"Held by workflow (a workflow of another namespace)", "Ahead of it: (a workflow of another namespace)"} {
		if !strings.Contains(body, want) {
			t.Errorf("explain team-a/ant: no %q in\n%s", want, body)
		}
	}
	// The admin sees the names.
	if _, all := c.do(adminToken, "GET", "/api/v1/workflows/team-a/ant/explain", ""); !strings.Contains(all, "team-b/bee-holder") ||
		!strings.Contains(all, "team-b/bee-ahead") {
		t.Errorf("the admin's explain of team-a/ant does not name team-b's workflows:\n%s", all)
	}
	for _, name := range []string{"bee-holder", "bee-ahead", "nothere"} {
		if code, body := c.do(teamAToken, "GET", "/api/v1/workflows/team-b/"+name+"/explain", ""); code != 403 || strings.Contains(body, "bee-") {
			t.Errorf("team-a's token explains team-b/%s: %d %s, want 403", name, code, body)
		}
	}
}

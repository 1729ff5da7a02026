package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/locks"
)

// A team lists its own namespace's locks with ?namespace=, and sees
// nothing of another namespace's; without a namespace, or with another
// team's, a scoped token is refused.
func TestScopedTokenListsItsOwnLocks(t *testing.T) {
	c := reachAPI(t)
	held := func(ns, name string) string {
		return fmt.Sprintf(`{"workflow": {"metadata": {"name": %q, "namespace": %q}, "spec": {"entrypoint": "main",
		  "synchronization": {"mutexes": [{"name": "m"}]},
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "30"]}}]}}}`, name, ns)
	}
	for _, w := range []struct{ ns, name string }{{"team-a", "wa"}, {"team-a", "wa2"}, {"team-b", "wb"}, {"team-b", "wb2"}} {
		if code, body := c.do(adminToken, "POST", "/api/v1/workflows/"+w.ns, held(w.ns, w.name)); code != 200 {
			t.Fatalf("submit %s/%s: %d %s", w.ns, w.name, code, body)
		}
	}
	status := func(token, query string) (int, []locks.View, string) {
		code, body := c.do(token, "GET", "/api/v1/sync-status"+query, "")
		var out struct{ Items []locks.View }
		_ = json.Unmarshal([]byte(body), &out)
		return code, out.Items, body
	}
	// Each mutex has its holder and one waiter.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, views, body := status(adminToken, "")
		busy := 0
		for _, v := range views {
			if len(v.Holders) == 1 && len(v.Waiters) == 1 {
				busy++
			}
		}
		if busy == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mutexes were not held and waited for: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, q := range []string{"", "?namespace=team-b", "?namespace=team-b&lock=team-b/Mutex/m"} {
		if code, _, body := status(teamAToken, q); code != 403 || strings.Contains(body, "wb") {
			t.Errorf("team-a's token, sync-status%s: %d %s, want 403", q, code, body)
		}
	}
	for _, who := range []struct{ name, token string }{{"team-a's token", teamAToken}, {"the admin", adminToken}} {
		code, views, body := status(who.token, "?namespace=team-a")
		if code != 200 || len(views) != 1 || views[0].Lock != "team-a/Mutex/m" || len(views[0].Holders) != 1 ||
			fmt.Sprint(views[0].Waiters) == "[]" || strings.Contains(body, "team-b") {
			t.Errorf("%s, sync-status?namespace=team-a: %d %s, want team-a's mutex alone", who.name, code, body)
		}
		if code, views, body := status(who.token, "?namespace=team-a&lock=team-b/Mutex/m"); code != 200 || len(views) != 0 {
			t.Errorf("%s, team-b's lock asked in team-a: %d %s, want nothing", who.name, code, body)
		}
	}
}

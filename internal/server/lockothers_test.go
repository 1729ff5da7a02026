package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/locks"
)

// A namespace's view of a lock that another namespace's workflow holds
// counts that holder (and such waiters) without naming them, so the lock
// does not look free to a token scoped to the namespace.
func TestLocksOfCountsOtherNamespaces(t *testing.T) {
	views := []locks.View{{Lock: "a/Mutex/shared", Limit: 1,
		Holders: map[string]uint64{"b/secret-team-b-job": 7}, Waiters: []string{"a/a-waits", "b/other", "c/more"}}}
	b, err := json.Marshal(locksOf(views, "a"))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"otherHolders":1`, `"otherWaiters":2`, `"waiters":["a/a-waits"]`} {
		if !strings.Contains(got, want) {
			t.Errorf("locksOf a: %s, want %s in it", got, want)
		}
	}
	if strings.Contains(got, "secret-team-b-job") {
		t.Errorf("locksOf a names another namespace's workflow: %s", got)
	}
}

package server

import (
	"fmt"
	"testing"

	"github.com/semaflow/semaflow/internal/locks"
)

// A namespace's view keeps its locks, and of them only its own holders
// and waiters, even if another namespace's workflow got onto one.
func TestLocksOfKeepsTheNamespace(t *testing.T) {
	views := []locks.View{
		{Lock: "team-a/Mutex/m", Holders: map[string]uint64{"team-a/w1": 3, "team-b/x": 4}, Waiters: []string{"team-b/y", "team-a/w2"},
			Starts: map[string]locks.Start{"team-b/y": {Why: "no history yet"}, "team-a/w2": {Why: "no history yet"}}},
		{Lock: "team-ab/Mutex/m", Holders: map[string]uint64{"team-ab/w": 1}, Waiters: []string{}},
		{Lock: "team-b/Mutex/m", Holders: map[string]uint64{"team-a/w3": 1}, Waiters: []string{"team-a/w4"}},
	}
	got := fmt.Sprint(locksOf(views, "team-a"))
	if want := "[{team-a/Mutex/m 0 0 map[team-a/w1:3] [team-a/w2] map[team-a/w2:{false no history yet <nil> <nil> <nil> }] <nil> {      [] [] 1 1}}]"; got != want {
		t.Fatalf("locksOf team-a: %s, want %s", got, want)
	}
	if got := locksOf(views, "team-c"); got == nil || len(got) != 0 {
		t.Fatalf("locksOf team-c: %#v, want an empty list", got)
	}
}

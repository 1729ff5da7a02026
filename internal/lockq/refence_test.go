package lockq

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// Refence gives a holder fresh tokens, higher than any handed out for its
// locks, without freeing a permit: a holder whose node was lost keeps its
// place, and whatever the lost node still believes it holds is stale.
func TestRefence(t *testing.T) {
	now := time.Unix(1000, 0)
	q := New(Config{})
	if _, err := q.SetLimit("ns/Mutex/m", 1, now); err != nil {
		t.Fatal(err)
	}
	if _, err := q.SetLimit("ns/ConfigMap/c/k", 2, now); err != nil {
		t.Fatal(err)
	}
	add := func(id string, keys ...string) {
		t.Helper()
		if _, err := q.Add(domain.Waiter{Holder: id, Locks: keys, Created: now}, now); err != nil {
			t.Fatal(err)
		}
	}
	add("ns/a", "ns/Mutex/m", "ns/ConfigMap/c/k")
	add("ns/b", "ns/ConfigMap/c/k")
	add("ns/c", "ns/Mutex/m") // waits behind a
	before := q.Holding("ns/a")
	got := q.Refence("ns/a")
	if len(got) != 2 {
		t.Fatalf("Refence gave %v, want two tokens", got)
	}
	want := map[string]uint64{"ns/Mutex/m": 2, "ns/ConfigMap/c/k": 3}
	for _, tok := range got {
		if want[tok.Lock] != tok.Value {
			t.Errorf("token of %s: %d, want %d (before: %v)", tok.Lock, tok.Value, want[tok.Lock], before)
		}
	}
	if h := q.Holding("ns/a"); len(h) != 2 || h[0] != got[0] || h[1] != got[1] {
		t.Errorf("Holding after Refence: %v, want %v", h, got)
	}
	if limit, held, _ := q.Usage("ns/Mutex/m"); limit != 1 || held != 1 {
		t.Errorf("mutex usage after Refence: %d/%d, want 1 held of 1", held, limit)
	}
	if len(q.Holding("ns/c")) != 0 {
		t.Error("a waiter was granted by a refence")
	}
	if got := q.Refence("ns/c"); got != nil {
		t.Errorf("Refence of a waiter: %v, want nil", got)
	}
	if got := q.Refence("ns/nobody"); got != nil {
		t.Errorf("Refence of an unknown holder: %v, want nil", got)
	}
	// The next grant goes on from the raised counter.
	gs, _ := q.Release("ns/a", now)
	if len(gs) != 1 || gs[0].Holder != "ns/c" || gs[0].Tokens[0].Value != 3 {
		t.Errorf("grant after release: %+v, want ns/c with token 3", gs)
	}
	if info, _ := q.Lock("ns/ConfigMap/c/k"); info.Fence != 3 {
		t.Errorf("semaphore fence %d, want 3", info.Fence)
	}
}

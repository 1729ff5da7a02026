package locks_test

import (
	"context"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/testkit"
)

// What a transaction releases goes to the best of everyone who wants it
// by then, the requests of that same transaction included: a high-priority
// workflow whose next step asks as its previous one releases (parallelism
// 1 lets it ask no sooner) gets the lock before a lower priority that was
// queued earlier. It used to go to the one already queued.
func TestReleaseGrantsToTheBestIncludingSameTransactionRequests(t *testing.T) {
	db := testkit.OpenStore(t)
	m := locks.New(lockq.Config{}, limitCM(1))
	if _, err := m.Load(context.Background(), db, time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	apply(t, db, m, []locks.Request{req("default/hi-a", 10, 1)}, nil)
	apply(t, db, m, []locks.Request{req("default/lo-a", 0, 2)}, nil)
	res := apply(t, db, m, []locks.Request{req("default/hi-b", 10, 1)}, []string{"default/hi-a"})
	if len(res.Grants) != 1 || res.Grants[0].Holder != "default/hi-b" {
		t.Fatalf("grants %v, want default/hi-b (priority 10) before default/lo-a", holders(res.Grants))
	}
	if res.Waiting["default/hi-b"] != "" {
		t.Fatalf("hi-b both granted and told to wait: %q", res.Waiting["default/hi-b"])
	}
}

// A holder released and asking again in one transaction asks after its
// release: it queues (or is granted) again, never lost.
func TestReleaseAndAskAgainInOneTransaction(t *testing.T) {
	db := testkit.OpenStore(t)
	m := locks.New(lockq.Config{}, limitCM(1))
	if _, err := m.Load(context.Background(), db, time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	apply(t, db, m, []locks.Request{req("default/a", 0, 1)}, nil)
	res := apply(t, db, m, []locks.Request{req("default/a", 0, 1)}, []string{"default/a"})
	if len(res.Grants) != 1 || res.Grants[0].Holder != "default/a" {
		t.Fatalf("released and asked again: grants %v, want default/a granted anew", holders(res.Grants))
	}
	apply(t, db, m, []locks.Request{req("default/b", 0, 2)}, nil)
	res = apply(t, db, m, []locks.Request{req("default/a", 0, 1)}, []string{"default/a"})
	if len(res.Grants) != 1 || res.Grants[0].Holder != "default/b" || res.Waiting["default/a"] == "" {
		t.Fatalf("with b queued: grants %v, waiting %v; want b granted, a queued after it", holders(res.Grants), res.Waiting)
	}
}

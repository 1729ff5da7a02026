package locks_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// countingStore counts the transactions that write.
type countingStore struct {
	store.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

func newGroup(t *testing.T, limit int) (*locks.Group, *countingStore, *locks.Manager, *othersLog) {
	t.Helper()
	db := &countingStore{Store: testkit.OpenStore(t)}
	m := locks.New(lockq.Config{}, limitCM(limit))
	if _, err := m.Load(context.Background(), db, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	others := &othersLog{}
	return locks.NewGroup(m, db, func() time.Time { return time.Unix(1000, 0) }, others.add), db, m, others
}

// othersLog keeps the grants a group reports to holders of no operation.
type othersLog struct {
	mu sync.Mutex
	gs []string
}

func (o *othersLog) add(gs []domain.Grant) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gs = append(o.gs, holders(gs)...)
}

func (o *othersLog) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.gs)
}

// gate is an operation that holds its group's transaction open until
// released, so that the operations asked for meanwhile queue behind it.
func gate(g *locks.Group, holder string) (release func(), done <-chan error) {
	in, out := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := g.Do(context.Background(), locks.Op{Requests: []locks.Request{req(holder, 0, 1)}, With: func(store.Tx, *locks.Result) error {
			close(in)
			<-out
			return nil
		}})
		errc <- err
	}()
	<-in
	return func() { close(out) }, errc
}

// queueBehind starts ops one after another, each once the one before is
// queued behind the group's running transaction.
func queueBehind(t *testing.T, g *locks.Group, ops []locks.Op) []chan opResult {
	t.Helper()
	outs := make([]chan opResult, len(ops))
	for i, op := range ops {
		outs[i] = make(chan opResult, 1)
		go func() {
			res, err := g.Do(context.Background(), op)
			outs[i] <- opResult{res, err}
		}()
		for deadline := time.Now().Add(10 * time.Second); g.Queued() < i+1; {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d operations queued", g.Queued(), i+1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return outs
}

type opResult struct {
	res *locks.Result
	err error
}

// Operations asked for while a transaction of the group runs go together
// in the next one; each gets the result for its own holders.
func TestGroupCommitsQueuedOperationsTogether(t *testing.T) {
	g, db, _, others := newGroup(t, 3)
	release, first := gate(g, "default/first")
	var ops []locks.Op
	for i := range 10 {
		ops = append(ops, locks.Op{Requests: []locks.Request{req(fmt.Sprintf("default/w%02d", i), 0, int64(2+i))}})
	}
	outs := queueBehind(t, g, ops)
	before := db.updates.Load()
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	var granted, waiting []string
	for i, out := range outs {
		r := <-out
		if r.err != nil {
			t.Fatalf("op %d: %v", i, r.err)
		}
		h := fmt.Sprintf("default/w%02d", i)
		for _, g := range r.res.Grants {
			if g.Holder != h {
				t.Fatalf("op %d's result grants %s", i, g.Holder)
			}
			granted = append(granted, h)
		}
		for w := range r.res.Waiting {
			if w != h {
				t.Fatalf("op %d's result has %s waiting", i, w)
			}
			waiting = append(waiting, w)
		}
	}
	if got := db.updates.Load() - before; got != 1 {
		t.Fatalf("the 10 queued operations took %d transactions, want 1", got)
	}
	if fmt.Sprint(granted) != "[default/w00 default/w01]" || len(waiting) != 8 || len(others.get()) != 0 {
		t.Fatalf("granted %v, %d waiting, others %v; want w00 and w01 granted (the gate holds the third permit), 8 waiting", granted, len(waiting), others.get())
	}
}

// An operation whose own writes fail gets its error; the operations
// batched with it are committed without it.
func TestGroupFailedOperationLeavesTheOthers(t *testing.T) {
	g, db, m, _ := newGroup(t, 10)
	release, first := gate(g, "default/first")
	bad := errors.New("the workflow's own write failed")
	outs := queueBehind(t, g, []locks.Op{
		{Requests: []locks.Request{req("default/a", 0, 2)}},
		{Requests: []locks.Request{req("default/bad", 0, 3)}, With: func(store.Tx, *locks.Result) error { return bad }},
		{Requests: []locks.Request{req("default/c", 0, 4)}},
	})
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, out := range outs {
		r := <-out
		switch {
		case i == 1 && !errors.Is(r.err, bad):
			t.Fatalf("the failing operation: %v, want its own error", r.err)
		case i != 1 && r.err != nil:
			t.Fatalf("op %d: %v, want it committed without the failing one", i, r.err)
		}
	}
	var st *store.LockState
	if err := db.View(context.Background(), func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(context.Background())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var stored []string
	for h := range st.Holds {
		stored = append(stored, h)
	}
	slices.Sort(stored)
	if fmt.Sprint(stored) != "[default/a default/c default/first]" {
		t.Fatalf("stored holders %v, want a, c and first (not bad)", stored)
	}
	if m.Held("default/bad") != nil {
		t.Fatal("the manager holds default/bad, whose transaction never committed")
	}
}

// Grants a batch makes to holders of no operation in it (waiters that
// queued earlier) go to the group's callback, after the commit.
func TestGroupReportsOtherGrants(t *testing.T) {
	g, _, _, others := newGroup(t, 1)
	if _, err := g.Do(context.Background(), locks.Op{Requests: []locks.Request{req("default/holder", 0, 1)}}); err != nil {
		t.Fatal(err)
	}
	res, err := g.Do(context.Background(), locks.Op{Requests: []locks.Request{req("default/next", 0, 2)}})
	if err != nil || len(res.Waiting) != 1 {
		t.Fatalf("next: %+v %v, want it waiting", res, err)
	}
	res, err = g.Do(context.Background(), locks.Op{Releases: []string{"default/holder"}})
	if err != nil || len(res.Grants) != 0 {
		t.Fatalf("release: %+v %v, want no grant in the releasing operation's result", res, err)
	}
	if got := others.get(); fmt.Sprint(got) != "[default/next]" {
		t.Fatalf("others heard %v, want [default/next]", got)
	}
}

// A holder asked for by one operation and released by a later one of
// the same batch ends released, as if the two had committed in turn.
func TestGroupKeepsTheOrderOfOneHoldersOperations(t *testing.T) {
	g, _, m, _ := newGroup(t, 5)
	release, first := gate(g, "default/first")
	outs := queueBehind(t, g, []locks.Op{
		{Requests: []locks.Request{req("default/a", 0, 2)}},
		{Releases: []string{"default/a"}},
	})
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for _, out := range outs {
		if r := <-out; r.err != nil {
			t.Fatal(r.err)
		}
	}
	if toks := m.Held("default/a"); toks != nil {
		t.Fatalf("default/a holds %v after its release", toks)
	}
}

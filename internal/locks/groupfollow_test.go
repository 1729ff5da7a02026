package locks_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
)

// followLog records what a group's Follow was given and told.
type followLog struct {
	given [][]string
	ended []error
	fail  error // the next call's error, once
}

func (f *followLog) follow(tx store.Tx, grants []domain.Grant) ([]string, func(error), error) {
	if tx == nil {
		return nil, nil, errors.New("no transaction")
	}
	f.given = append(f.given, holders(grants))
	done := func(err error) { f.ended = append(f.ended, err) }
	if err := f.fail; err != nil {
		f.fail = nil
		return nil, done, err
	}
	return holders(grants), done, nil
}

// A grant to a holder of no operation in the transaction goes to Follow,
// inside that transaction: what the grant allows (the next holder's
// step recorded as launched) commits with it. A grant Follow takes is
// not reported to others; Follow's done hears how the transaction ended.
func TestGroupFollowTakesGrantsInTheirTransaction(t *testing.T) {
	ctx := context.Background()
	g, db, _, others := newGroup(t, 1)
	f := &followLog{}
	g.Follow(f.follow)
	if _, err := g.Do(ctx, locks.Op{Requests: []locks.Request{req("default/a", 0, 1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Do(ctx, locks.Op{Requests: []locks.Request{req("default/b", 0, 2)}}); err != nil {
		t.Fatal(err)
	}
	if len(f.given) != 0 {
		t.Fatalf("Follow was given %v before any grant to another holder", f.given)
	}
	before := db.updates.Load()
	res, err := g.Do(ctx, locks.Op{Releases: []string{"default/a"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Grants) != 0 {
		t.Fatalf("the releaser's result has grants %v", holders(res.Grants))
	}
	if n := db.updates.Load() - before; n != 1 {
		t.Fatalf("the release took %d transactions", n)
	}
	if !slices.Equal(f.given[0], []string{"default/b"}) || len(f.ended) != 1 || f.ended[0] != nil {
		t.Fatalf("Follow given %v, told %v; want [default/b] once, then nil", f.given, f.ended)
	}
	if got := others.get(); len(got) != 0 {
		t.Fatalf("others heard of %v, which Follow took", got)
	}
}

// When Follow fails, the whole transaction rolls back, the grant with
// it: done hears the error, nobody hears of the grant, and the release
// asked again grants again, to Follow again.
func TestGroupFollowFailureRollsBackTheGrant(t *testing.T) {
	ctx := context.Background()
	g, _, _, others := newGroup(t, 1)
	f := &followLog{}
	g.Follow(f.follow)
	for _, h := range []string{"default/a", "default/b"} {
		if _, err := g.Do(ctx, locks.Op{Requests: []locks.Request{req(h, 0, int64(len(h)))}}); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("disk full")
	f.fail = boom
	if _, err := g.Do(ctx, locks.Op{Releases: []string{"default/a"}}); !errors.Is(err, boom) {
		t.Fatalf("release with a failing Follow: %v, want %v", err, boom)
	}
	if len(f.ended) != 1 || !errors.Is(f.ended[0], boom) {
		t.Fatalf("Follow's done heard %v, want the failure", f.ended)
	}
	if _, err := g.Do(ctx, locks.Op{Releases: []string{"default/a"}}); err != nil {
		t.Fatal(err)
	}
	if len(f.given) != 2 || !slices.Equal(f.given[1], []string{"default/b"}) || f.ended[1] != nil {
		t.Fatalf("after the retry Follow was given %v and told %v", f.given, f.ended)
	}
	if got := others.get(); len(got) != 0 {
		t.Fatalf("others heard of %v", got)
	}
}

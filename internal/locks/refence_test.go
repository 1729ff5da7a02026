package locks_test

import (
	"context"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// Refence persists fresh tokens for holders taken over from a lost node:
// a second manager on the store sees them, and the next grant is higher.
func TestRefencePersists(t *testing.T) {
	db := testkit.OpenStore(t)
	ctx := context.Background()
	m := locks.New(lockq.Config{}, limitCM(1))
	if _, err := m.Load(ctx, db, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	apply(t, db, m, []locks.Request{req("default/a", 0, 1), req("default/b", 0, 2)}, nil)
	var gs []domain.Grant
	err := db.Update(ctx, func(tx store.Tx) error {
		var err error
		gs, err = m.Refence(ctx, tx, []string{"default/a", "default/b", "default/none"}, time.Unix(1001, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 1 || gs[0].Holder != "default/a" || gs[0].Tokens[0].Value != 2 {
		t.Fatalf("Refence: %+v, want default/a with token 2 (b waits, none is unknown)", gs)
	}
	other := locks.New(lockq.Config{}, limitCM(1))
	if _, err := other.Load(ctx, db, time.Unix(1002, 0)); err != nil {
		t.Fatal(err)
	}
	if h := other.Held("default/a"); len(h) != 1 || h[0].Value != 2 {
		t.Errorf("another manager reads a's tokens as %v, want token 2", h)
	}
	res := apply(t, db, other, nil, []string{"default/a"})
	if len(res.Grants) != 1 || res.Grants[0].Holder != "default/b" || res.Grants[0].Tokens[0].Value != 3 {
		t.Errorf("grant after the release: %+v, want default/b with token 3", res.Grants)
	}
}

package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// TestRenewBesideBoundTransaction: an engine's lease renewal does not
// wait for its own bound transactions (BindSession's lock lets an UPDATE
// of the lease through), while a takeover of the session does.
func TestRenewBesideBoundTransaction(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	s1, s2 := openTest(t, dsn, Options{}), openTest(t, dsn, Options{BusyTimeout: 500 * time.Millisecond})
	ctx := t.Context()
	if err := s1.Update(ctx, func(tx store.Tx) error {
		return tx.OpenSession(ctx, store.Session{ID: "s", Kind: "server", Started: time.Now(), Expires: time.Now().Add(time.Minute)})
	}); err != nil {
		t.Fatal(err)
	}
	bound, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s1.Update(ctx, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, "s"); err != nil {
				return err
			}
			close(bound)
			<-release
			return nil
		})
	}()
	<-bound
	start := time.Now()
	err := s2.Update(ctx, func(tx store.Tx) error { return tx.RenewSession(ctx, "s", time.Now().Add(2*time.Minute)) })
	if err != nil || time.Since(start) > 400*time.Millisecond {
		t.Errorf("renewal beside a bound transaction: %v after %s, want at once", err, time.Since(start))
	}
	err = s2.Update(ctx, func(tx store.Tx) error {
		_, err := tx.TakeOver(ctx, "other", []store.Session{{ID: "s", Expires: time.Unix(1<<32, 0)}})
		return err
	})
	if !errors.Is(err, store.ErrBusy) {
		t.Errorf("a takeover beside a bound transaction: %v, want it to wait (ErrBusy past the busy timeout)", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// TestServerRestart: while PostgreSQL is down, transactions fail with
// store.ErrUnavailable naming what they were doing; once it is back the
// same Store works again, and Listen, having reconnected, sends a resync
// and hears changes again.
func TestServerRestart(t *testing.T) {
	p := testkit.NewPostgres(t)
	s := openTest(t, p.NewDatabase(t), Options{ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	ch := listenTest(t, s)
	putObjects(t, s, "before")
	if n := nextNotice(t, ch); n != objectNotice("before") {
		t.Fatalf("before the restart: %+v", n)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.PutObject(ctx, store.Object{Kind: "ConfigMap", Namespace: "default", Name: "down", Doc: []byte(`{}`)})
	})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "begin a transaction") {
		t.Fatalf("a write while the server is down: %v, want ErrUnavailable naming the begin", err)
	}
	time.Sleep(300 * time.Millisecond) // Listen retries meanwhile
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if n := nextNotice(t, ch); n.Topic != store.TopicResync {
		t.Fatalf("after the restart: %+v, want a resync", n)
	}
	putObjects(t, s, "after")
	if n := nextNotice(t, ch); n != objectNotice("after") {
		t.Fatalf("after the restart and resync: %+v", n)
	}
}

// TestUpdateNeverRetries: a transaction whose commit fails because the
// server died is reported, not run again: its function runs once, and
// nothing of it is kept.
func TestUpdateNeverRetries(t *testing.T) {
	p := testkit.NewPostgres(t)
	s := openTest(t, p.NewDatabase(t), Options{})
	ctx := t.Context()
	calls := 0
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "default", Name: "a", UID: "u1"}}
	err := s.Update(ctx, func(tx store.Tx) error {
		calls++
		if err := tx.CreateWorkflow(ctx, wf); err != nil {
			return err
		}
		return p.Kill()
	})
	if !errors.Is(err, store.ErrUnavailable) || calls != 1 {
		t.Fatalf("commit to a killed server: %v after %d calls, want ErrUnavailable after 1", err, calls)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetWorkflowByUID(ctx, "u1")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the uncommitted workflow after the crash: %v, want ErrNotFound", err)
	}
}

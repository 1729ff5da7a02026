package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/postgres"
	"github.com/semaflow/semaflow/internal/testkit"
)

const historyWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: hist}
spec:
  entrypoint: main
  priority: 7
  synchronization: {mutex: {name: outer}}
  templates:
  - name: main
    steps:
    - - {name: a, template: held}
  - name: held
    synchronization: {mutex: {name: inner}}
    container: {image: x, command: [work]}
`

// The engine records each holder's request (with priority and locks),
// grant and release in the workflow's history, in that order, so that
// simulate can replay the run.
func TestLockHistoryIsRecorded(t *testing.T) { checkLockHistory(t, testkit.OpenStore(t)) }

// The same on PostgreSQL: the events go through the driver's
// AppendEvents.
func TestLockHistoryIsRecordedPostgres(t *testing.T) {
	db, err := postgres.Open(context.Background(), testkit.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	checkLockHistory(t, db)
}

func checkLockHistory(t *testing.T, db store.Store) {
	fx := &instantExec{}
	eng := testkit.NewEngine(t, db, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		fx.started, fx.done = started, done
		return fx
	})
	final := testkit.RunWorkflow(t, eng, testkit.ParseWorkflow(t, historyWorkflow))
	eng.Drain()
	ctx := context.Background()
	var evs []store.Event
	if err := db.View(ctx, func(tx store.Tx) error {
		var err error
		evs, err = tx.Events(ctx, final.Metadata.UID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		req   domain.LockRequest
		steps []string
		at    []time.Time
	}
	byHolder := map[string]*seen{}
	for _, ev := range evs {
		var holder string
		switch ev.Type {
		case domain.EventLockRequested:
			r, err := domain.ParseLockRequest(ev.Message)
			if err != nil {
				t.Fatal(err)
			}
			holder = r.Holder
			byHolder[holder] = &seen{req: r}
		case domain.EventLockGranted, domain.EventLockReleased:
			holder = ev.Message
		default:
			continue
		}
		s := byHolder[holder]
		if s == nil {
			t.Fatalf("%s of %s before its request", ev.Type, holder)
		}
		s.steps = append(s.steps, ev.Type)
		s.at = append(s.at, ev.At)
	}
	outer := byHolder["default/hist"]
	if outer == nil || outer.req.Priority != 7 || len(outer.req.Locks) != 1 || outer.req.Locks[0] != "default/Mutex/outer" {
		t.Fatalf("workflow-level request recorded as %+v, want priority 7 for default/Mutex/outer (all: %+v)", outer, evs)
	}
	if len(byHolder) != 2 {
		t.Fatalf("%d holders recorded, want the workflow and its step: %+v", len(byHolder), evs)
	}
	for h, s := range byHolder {
		want := []string{domain.EventLockRequested, domain.EventLockGranted, domain.EventLockReleased}
		if len(s.steps) != 3 || s.steps[0] != want[0] || s.steps[1] != want[1] || s.steps[2] != want[2] {
			t.Errorf("%s: events %v, want %v", h, s.steps, want)
			continue
		}
		if s.at[1].Before(s.at[0]) || s.at[2].Before(s.at[1]) {
			t.Errorf("%s: times go back: %v", h, s.at)
		}
	}
}

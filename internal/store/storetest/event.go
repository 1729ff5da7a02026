package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseEvent covers AppendEvents and Events.
func exerciseEvent(t *testing.T, open Factory) {
	each(t, open, map[string]check{"History": eventHistory, "LongBatch": eventLongBatch})
}

// eventHistory: Events gives one workflow's events in the order they
// were appended, across transactions and whatever their times, with every
// field kept (times to the nanosecond); a workflow without events has
// none, and that is not an error.
func eventHistory(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newWF("default", "a", time.Unix(1, 0)), newWF("default", "b", time.Unix(2, 0))
	at := time.Unix(1_700_000_000, 123456789)
	ev := func(uid, node, typ string, at time.Time) store.Event {
		return store.Event{WorkflowUID: uid, NodeID: node, At: at, Type: typ, Message: typ + " of " + node}
	}
	want := []store.Event{
		ev(a.Metadata.UID, "", "Submitted", at),
		ev(a.Metadata.UID, "n1", "StepLaunched", at.Add(time.Second)),
		// Appended later with an earlier time: order is the order appended.
		ev(a.Metadata.UID, "n1", "StepExited", at.Add(-time.Second)),
	}
	update(t, s, func(tx store.Tx) error {
		for _, wf := range []*wfv1.Workflow{a, b} {
			if err := tx.CreateWorkflow(ctx, wf); err != nil {
				return err
			}
		}
		return tx.AppendEvents(ctx, []store.Event{want[0], ev(b.Metadata.UID, "", "Submitted", at), want[1]})
	})
	update(t, s, func(tx store.Tx) error { return tx.AppendEvents(ctx, want[2:]) })
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Events(ctx, a.Metadata.UID)
		if err != nil {
			return err
		}
		if len(got) != len(want) {
			return fmt.Errorf("events of a: %+v, want %+v", got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.WorkflowUID != w.WorkflowUID || g.NodeID != w.NodeID || !g.At.Equal(w.At) || g.Type != w.Type || g.Message != w.Message {
				return fmt.Errorf("event %d of a: %+v, want %+v", i, g, w)
			}
		}
		none, err := tx.Events(ctx, "uid-unknown")
		if err == nil && len(none) != 0 {
			err = fmt.Errorf("events of an unknown workflow: %+v", none)
		}
		return err
	})
}

// eventLongBatch: one AppendEvents of many events, two workflows'
// interleaved, keeps each workflow's in the order given (a driver may
// insert them several rows per statement).
func eventLongBatch(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newWF("default", "a", time.Unix(1, 0)), newWF("default", "b", time.Unix(2, 0))
	at := time.Unix(1_700_000_000, 0)
	var all []store.Event
	want := map[string][]string{}
	for i := range 41 {
		uid := a.Metadata.UID
		if i%3 == 2 {
			uid = b.Metadata.UID
		}
		typ := fmt.Sprintf("E%02d", i)
		all = append(all, store.Event{WorkflowUID: uid, NodeID: fmt.Sprint("n", i%5), At: at.Add(time.Duration(-i) * time.Second), Type: typ, Message: "m" + typ})
		want[uid] = append(want[uid], typ)
	}
	update(t, s, func(tx store.Tx) error {
		for _, wf := range []*wfv1.Workflow{a, b} {
			if err := tx.CreateWorkflow(ctx, wf); err != nil {
				return err
			}
		}
		return tx.AppendEvents(ctx, all)
	})
	view(t, s, func(tx store.Tx) error {
		for _, uid := range []string{a.Metadata.UID, b.Metadata.UID} {
			got, err := tx.Events(ctx, uid)
			if err != nil {
				return err
			}
			var types []string
			for _, e := range got {
				if e.Message != "m"+e.Type {
					return fmt.Errorf("event %s of %s has message %q", e.Type, uid, e.Message)
				}
				types = append(types, e.Type)
			}
			if fmt.Sprint(types) != fmt.Sprint(want[uid]) {
				return fmt.Errorf("events of %s: %v, want %v", uid, types, want[uid])
			}
		}
		return nil
	})
}

package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// ListenerCutter is implemented by the stores a Factory gives for a
// store.Shared driver: CutListeners breaks the connections that this
// handle's Listen calls hold, as a restarting server or a network fault
// would, so that the suite can check that Listen reconnects and sends
// store.TopicResync.
type ListenerCutter interface {
	CutListeners(t *testing.T)
}

// noticeWait bounds how long a check waits for a notice it expects; a
// notice it does not expect is looked for during quietWait.
const (
	noticeWait = 30 * time.Second
	quietWait  = 300 * time.Millisecond
)

// exerciseShared covers store.Shared: the notices that writes send, when
// they arrive, and Listen's reconnection. A driver whose stores are not
// Shared (SQLite: one engine at a time) skips it.
func exerciseShared(t *testing.T, open Factory) {
	probe, _ := open(t)
	if _, ok := probe.(store.Shared); !ok {
		t.Skipf("%T is not a store.Shared", probe)
	}
	eachShared(t, open, map[string]sharedCheck{
		"AfterCommit":    noticeAfterCommit,
		"NoneOnRollback": noNoticeOnRollback,
		"From":           noticeFrom,
		"Dedupe":         noticeDedupe,
		"Topics":         noticeTopics,
		"Resync":         noticeResync,
		"ListenEnds":     listenEnds,
	})
}

// listener is one Listen call's channel and the context that ends it.
type listener struct {
	ch     <-chan store.Notice
	cancel context.CancelFunc
}

func listen(t *testing.T, s store.Store) *listener {
	t.Helper()
	sh, ok := s.(store.Shared)
	if !ok {
		t.Fatalf("%T is not a store.Shared", s)
	}
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	ch, err := sh.Listen(ctx)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return &listener{ch: ch, cancel: cancel}
}

// next waits up to wait for a notice; ok is false if none came.
func (l *listener) next(t *testing.T, wait time.Duration) (store.Notice, bool) {
	t.Helper()
	select {
	case n, open := <-l.ch:
		if !open {
			t.Fatal("Listen's channel closed while its context lives")
		}
		return n, true
	case <-time.After(wait):
		return store.Notice{}, false
	}
}

// expect fails unless the next notices are want, in any order, and
// nothing else comes within quietWait after them.
func (l *listener) expect(t *testing.T, what string, want ...store.Notice) {
	t.Helper()
	missing := map[store.Notice]int{}
	for _, n := range want {
		missing[n]++
	}
	for left := len(want); left > 0; left-- {
		n, ok := l.next(t, noticeWait)
		if !ok {
			t.Fatalf("%s: no notice within %s; still expected %v", what, noticeWait, missing)
		}
		if missing[n] == 0 {
			t.Fatalf("%s: notice %+v, want %v", what, n, want)
		}
		missing[n]--
	}
	l.quiet(t, what)
}

// quiet fails if a notice comes within quietWait.
func (l *listener) quiet(t *testing.T, what string) {
	t.Helper()
	if n, ok := l.next(t, quietWait); ok {
		t.Fatalf("%s: unexpected notice %+v", what, n)
	}
}

func wfNotice(wf *wfv1.Workflow, from string) store.Notice {
	return store.Notice{Topic: store.TopicWorkflow, Key: wf.Metadata.UID, From: from}
}

// noticeAfterCommit: a write's notice reaches listeners on both handles
// once its transaction commits, not while it is open.
func noticeAfterCommit(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	own, other := listen(t, s1), listen(t, s2)
	wf := newWF("default", "a", time.Unix(1, 0))
	update(t, s1, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, wf); err != nil {
			return err
		}
		other.quiet(t, "before the commit")
		return nil
	})
	other.expect(t, "after the commit", wfNotice(wf, ""))
	own.expect(t, "on the writing handle", wfNotice(wf, ""))
}

// noNoticeOnRollback: a transaction that rolls back sends nothing; the
// next one's notice is the first to arrive.
func noNoticeOnRollback(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	l := listen(t, s2)
	boom := errors.New("boom")
	gone := newWF("default", "gone", time.Unix(1, 0))
	err := s1.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, gone); err != nil {
			return err
		}
		if err := tx.PutObject(ctx, store.Object{Kind: "ConfigMap", Namespace: "default", Name: "gone", Doc: []byte(`{}`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want the callback's error", err)
	}
	marker := newWF("default", "marker", time.Unix(2, 0))
	update(t, s1, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, marker) })
	l.expect(t, "after a rollback and a commit", wfNotice(marker, ""))
}

// noticeFrom: a notice names the session its transaction was bound to,
// and none when it was not bound.
func noticeFrom(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	l := listen(t, s2)
	update(t, s1, func(tx store.Tx) error { return tx.OpenSession(ctx, newSession("s1", time.Now())) })
	bound := newWF("default", "bound", time.Unix(1, 0))
	update(t, s1, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "s1"); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, bound)
	})
	l.expect(t, "a bound write", wfNotice(bound, "s1"))
	unbound := newWF("default", "unbound", time.Unix(2, 0))
	update(t, s2, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, unbound) })
	l.expect(t, "an unbound write", wfNotice(unbound, ""))
}

// noticeDedupe: a transaction that writes one workflow several ways sends
// one notice for it.
func noticeDedupe(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	l := listen(t, s2)
	wf := newWF("default", "busy", time.Unix(1, 0))
	update(t, s1, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, wf); err != nil {
			return err
		}
		if err := tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{{ID: "n1"}}); err != nil {
			return err
		}
		wf.Status.Message = "changed"
		if err := tx.PutStatus(ctx, wf); err != nil {
			return err
		}
		return tx.PutWorkflow(ctx, wf)
	})
	l.expect(t, "four writes of one workflow", wfNotice(wf, ""))
}

// noticeTopics: every write shared.go lists sends its notice, each with
// its topic and key.
func noticeTopics(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	l := listen(t, s2)
	wf := newWF("default", "w", time.Unix(1, 0))
	obj := store.Object{Kind: "ConfigMap", Namespace: "default", Name: "limits", Doc: []byte(`{}`)}
	objNotice := store.Notice{Topic: store.TopicObject, Key: obj.Key().String()}
	for _, c := range []struct {
		what  string
		write func(tx store.Tx) error
		want  store.Notice
	}{
		{"CreateWorkflow", func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) }, wfNotice(wf, "")},
		{"PutWorkflow", func(tx store.Tx) error { return tx.PutWorkflow(ctx, wf) }, wfNotice(wf, "")},
		{"PutStatus", func(tx store.Tx) error { return tx.PutStatus(ctx, wf) }, wfNotice(wf, "")},
		{"PutNodes", func(tx store.Tx) error { return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{{ID: "n"}}) }, wfNotice(wf, "")},
		{"DeleteNodes", func(tx store.Tx) error { return tx.DeleteNodes(ctx, wf.Metadata.UID, []string{"n"}) }, wfNotice(wf, "")},
		{"DeleteWorkflow", func(tx store.Tx) error { return tx.DeleteWorkflow(ctx, wf.Metadata.UID) }, wfNotice(wf, "")},
		{"PutObject", func(tx store.Tx) error { return tx.PutObject(ctx, obj) }, objNotice},
		{"DeleteObject", func(tx store.Tx) error { return tx.DeleteObject(ctx, obj.Key()) }, objNotice},
		{"PutHold", func(tx store.Tx) error {
			if err := tx.PutLockLimit(ctx, "default/Mutex/m", 1); err != nil {
				return err
			}
			return tx.PutHold(ctx, "default/w", []domain.Token{{Lock: "default/Mutex/m", Value: 1}}, store.HoldInfo{Since: time.Unix(1, 0)})
		}, store.Notice{Topic: store.TopicHold, Key: "default/w"}},
	} {
		update(t, s1, c.write)
		l.expect(t, c.what, c.want)
	}
	// Reads, logs, events and sessions send nothing.
	update(t, s1, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, newSession("s", time.Now())); err != nil {
			return err
		}
		_, err := tx.LoadLocks(ctx)
		return err
	})
	l.quiet(t, "a transaction without notices")
}

// noticeResync: when the listening connection is lost, Listen reconnects,
// sends TopicResync, and goes on delivering.
func noticeResync(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	cutter, ok := s2.(ListenerCutter)
	if !ok {
		t.Fatalf("%T is a store.Shared but not a storetest.ListenerCutter: the Factory must give one", s2)
	}
	l := listen(t, s2)
	cutter.CutListeners(t)
	n, ok := l.next(t, noticeWait)
	if !ok || n != (store.Notice{Topic: store.TopicResync}) {
		t.Fatalf("after the listening connection was cut: %+v (%t), want a resync", n, ok)
	}
	wf := newWF("default", "after", time.Unix(1, 0))
	update(t, s1, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	l.expect(t, "a write after the reconnection", wfNotice(wf, ""))
}

// listenEnds: Listen's channel closes when its context ends.
func listenEnds(t *testing.T, _, s2 store.Store) {
	l := listen(t, s2)
	l.cancel()
	deadline := time.After(noticeWait)
	for {
		select {
		case _, open := <-l.ch:
			if !open {
				return
			}
		case <-deadline:
			t.Fatalf("Listen's channel still open %s after its context ended", noticeWait)
		}
	}
}

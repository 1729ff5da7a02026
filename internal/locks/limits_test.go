package locks_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
	"github.com/semaflow/semaflow/internal/testkit"
)

type cmSet map[string]*wfv1.ConfigMap

func (c cmSet) ConfigMap(ns, name string) *wfv1.ConfigMap { return c[ns+"/"+name] }

func limitCM(n int) cmSet {
	cm := &wfv1.ConfigMap{Data: map[string]string{"k": fmt.Sprint(n)}}
	return cmSet{"default/limits": cm}
}

var semRef = spec.LockRef{Key: "default/ConfigMap/limits/k", Kind: spec.LockConfigMap, Namespace: "default",
	ConfigMap: "limits", ConfigMapKey: "k"}

func req(holder string, prio int32, created int64) locks.Request {
	return locks.Request{Holder: holder, Locks: []spec.LockRef{semRef}, Priority: prio, Created: time.Unix(created, 0)}
}

// apply runs one manager operation in its own transaction.
func apply(t *testing.T, db store.Store, m *locks.Manager, reqs []locks.Request, rel []string) *locks.Result {
	t.Helper()
	var res *locks.Result
	ctx := context.Background()
	err := db.Update(ctx, func(tx store.Tx) error {
		var err error
		res, err = m.Apply(ctx, tx, reqs, rel, time.Unix(1000, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func holders(gs []domain.Grant) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Holder)
	}
	return out
}

func TestLockManagerLimitsRestartAndRelease(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cms := limitCM(1)
	m := locks.New(lockq.Config{}, cms)
	if _, err := m.Load(ctx, db, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	res := apply(t, db, m, []locks.Request{req("default/a", 0, 1), req("default/low", 0, 3), req("default/high", 9, 5)}, nil)
	if fmt.Sprint(holders(res.Grants)) != "[default/a]" || len(res.Waiting) != 2 {
		t.Fatalf("grants %v waiting %v", holders(res.Grants), res.Waiting)
	}
	if msg := res.Waiting["default/high"]; msg != "Waiting for default/ConfigMap/limits/k lock. Lock status: 0/1 (position 1 of 2)" {
		t.Fatalf("waiting message %q", msg)
	}
	// Asking again changes nothing.
	if res := apply(t, db, m, []locks.Request{req("default/a", 0, 1)}, nil); len(res.Grants) != 0 {
		t.Fatalf("re-request granted again: %v", holders(res.Grants))
	}

	// Restart: a new manager on a reopened store keeps the hold, the queue
	// order and the fencing counter, and grants nothing on load.
	_ = db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m = locks.New(lockq.Config{}, cms)
	owed, err := m.Load(ctx, db, time.Unix(1000, 0))
	if err != nil || len(owed) != 0 {
		t.Fatalf("load granted %v, %v", holders(owed), err)
	}
	res = apply(t, db, m, nil, []string{"default/a"})
	if fmt.Sprint(holders(res.Grants)) != "[default/high]" || !slices.Equal(res.Grants[0].Tokens, []domain.Token{{Lock: semRef.Key, Value: 2}}) {
		t.Fatalf("after release: %+v, want default/high with token 2", res.Grants)
	}
	// Releasing twice is harmless and grants nothing.
	if res := apply(t, db, m, nil, []string{"default/a"}); len(res.Grants) != 0 {
		t.Fatalf("second release granted %v", holders(res.Grants))
	}

	// A limit increase grants at once; a decrease never preempts.
	cms["default/limits"].Data["k"] = "3"
	apply(t, db, m, []locks.Request{req("default/x", 0, 7), req("default/y", 0, 8)}, nil)
	var grants []domain.Grant
	if err := db.Update(ctx, func(tx store.Tx) error {
		var err error
		grants, err = m.Refresh(ctx, tx, "default", "limits", time.Unix(1000, 0))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(holders(grants)) != "[default/low default/x]" {
		t.Fatalf("limit 1 -> 3 granted %v, want the two oldest waiters", holders(grants))
	}
	cms["default/limits"].Data["k"] = "0"
	if err := db.Update(ctx, func(tx store.Tx) error {
		var err error
		grants, err = m.Refresh(ctx, tx, "default", "limits", time.Unix(1000, 0))
		return err
	}); err != nil || len(grants) != 0 {
		t.Fatalf("pause granted %v, %v", holders(grants), err)
	}
	info, _ := m.Snapshot(semRef.Key)
	if len(info.Holders) != 3 || info.Limit != 0 {
		t.Fatalf("after pause: %d holders, limit %d; holders keep their permits", len(info.Holders), info.Limit)
	}
	res = apply(t, db, m, nil, []string{"default/high", "default/low", "default/x"})
	if len(res.Grants) != 0 {
		t.Fatalf("paused lock granted %v", holders(res.Grants))
	}
}

func TestLockManagerRejectsBadLimits(t *testing.T) {
	ctx := context.Background()
	db := testkit.OpenStore(t)
	cms := cmSet{"default/limits": {Data: map[string]string{"k": "two"}}}
	m := locks.New(lockq.Config{}, cms)
	if _, err := m.Load(ctx, db, time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	missing := req("default/b", 0, 1)
	missing.Locks = []spec.LockRef{{Key: "default/ConfigMap/nope/k", Kind: spec.LockConfigMap, Namespace: "default", ConfigMap: "nope", ConfigMapKey: "k"}}
	res := apply(t, db, m, []locks.Request{req("default/a", 0, 1), missing}, nil)
	want := map[string]string{
		"default/a": `semaphore default/ConfigMap/limits/k: ConfigMap default/limits key "k" is not a non-negative integer`,
		"default/b": "semaphore default/ConfigMap/nope/k: ConfigMap default/nope not found",
	}
	for h, msg := range want {
		if res.Failed[h] != msg {
			t.Errorf("%s: %q, want %q", h, res.Failed[h], msg)
		}
	}
}

// Should a waiter's limit become unavailable anyway (a store written by an
// older version, a change racing a new request, a ConfigMap deleted while
// nobody used it), its message says why, and the last known limit stays.
func TestWaitersAreToldTheirLimitIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db := testkit.OpenStore(t)
	cms := limitCM(1)
	m := locks.New(lockq.Config{}, cms)
	if _, err := m.Load(ctx, db, time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	apply(t, db, m, []locks.Request{req("default/a", 0, 1), req("default/b", 0, 2)}, nil)
	for _, c := range []struct {
		cm   *wfv1.ConfigMap
		want string
	}{
		{&wfv1.ConfigMap{Data: map[string]string{"k": "abc"}}, `its limit is unavailable: ConfigMap default/limits key "k" is not a non-negative integer`},
		{nil, "its limit is unavailable: ConfigMap default/limits was deleted"},
	} {
		if c.cm == nil {
			delete(cms, "default/limits")
		} else {
			cms["default/limits"] = c.cm
		}
		msg, ok := m.Waiting("default/b", time.Unix(2, 0))
		if !ok || !strings.Contains(msg, "Waiting for default/ConfigMap/limits/k lock") || !strings.Contains(msg, c.want) || strings.Contains(msg, "abc") {
			t.Errorf("waiting message %q, want it to say %q", msg, c.want)
		}
	}
	// A new request (a step of a workflow submitted while the ConfigMap
	// was there) queues under the last known limit, told why, rather than
	// failing its workflow mid-run; it is granted in its turn.
	res := apply(t, db, m, []locks.Request{req("default/c", 0, 3)}, nil)
	if res.Failed["default/c"] != "" || !strings.Contains(res.Waiting["default/c"], "its limit is unavailable: ConfigMap default/limits was deleted") {
		t.Errorf("new request with the limit unavailable: failed %q, waiting %q", res.Failed["default/c"], res.Waiting["default/c"])
	}
	apply(t, db, m, nil, []string{"default/a"})
	if res = apply(t, db, m, nil, []string{"default/b"}); len(res.Grants) != 1 || res.Grants[0].Holder != "default/c" {
		t.Errorf("after the holders ended, grants %v, want default/c under the last known limit", res.Grants)
	}
}

package cli

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/semaflow/semaflow/client"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
)

// `sync list -o json` against a server prints what --db prints: every
// field of the server's lock views (kind, holders with since and token,
// waiters with position, reason and start, hold times) survives the
// public client's LockView.
func TestRemoteLockViewsKeepEveryField(t *testing.T) {
	now := time.Unix(1_000_000, 0).UTC()
	key := "default/ConfigMap/limits/db"
	var d eta.Digest
	for range eta.MinSamples {
		d.Add(time.Minute)
	}
	text, err := d.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	st := &store.LockState{
		Locks:    []store.LockInfo{{Key: key, Limit: 1, Fence: 3}},
		Holds:    map[string][]domain.Token{"default/a/a-1": {{Lock: key, Value: 3}}},
		HoldInfo: map[string]store.HoldInfo{"default/a/a-1": {Since: now.Add(-20 * time.Second), Template: "job"}},
		Waiters: []domain.QueuedWaiter{{Waiter: domain.Waiter{Holder: "default/b", Locks: []string{key}, Priority: 2},
			Enqueued: now.Add(-5 * time.Second)}},
		Stats: []store.HoldStats{{Lock: key, Digest: string(text)}},
	}
	want, err := json.Marshal(locks.Views(st, "", now))
	if err != nil {
		t.Fatal(err)
	}
	var items []client.LockView
	if err := json.Unmarshal(want, &items); err != nil {
		t.Fatal(err)
	}
	views, err := remoteViews(items)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(views)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("through client.LockView:\n%s\nwant the server's\n%s", got, want)
	}
}

package locks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/store"
)

// TestViewsDetail: a lock's view names its holders with token and since,
// and its waiters in the store's grant order with priority, waited time
// and position; the old fields keep their shape.
func TestViewsDetail(t *testing.T) {
	now := time.Unix(1000, 0)
	key := "default/ConfigMap/limits/db"
	st := &store.LockState{
		Locks:    []store.LockInfo{{Key: key, Limit: 1, Fence: 4}, {Key: "default/Mutex/m", Limit: 1}},
		Holds:    map[string][]domain.Token{"default/a/a-1": {{Lock: key, Value: 4}}},
		HoldInfo: map[string]store.HoldInfo{"default/a/a-1": {Since: now.Add(-time.Minute)}},
		Waiters: []domain.QueuedWaiter{
			{Waiter: domain.Waiter{Holder: "default/c", Locks: []string{key}, Priority: 5}, Enqueued: now.Add(-10 * time.Second)},
			{Waiter: domain.Waiter{Holder: "default/b/b-2", Locks: []string{key, "default/Mutex/m"}}, Enqueued: now.Add(-30 * time.Second)},
		},
	}
	views := Views(st, key, now)
	if len(views) != 1 {
		t.Fatalf("views %+v, want the one lock", views)
	}
	v := views[0]
	if v.Type != "semaphore" || v.Storage != "configmap" || v.ConfigMap != "limits" || v.Key != "db" || v.Namespace != "default" {
		t.Fatalf("kind %+v", v.ViewDetail)
	}
	if len(v.Holding) != 1 || v.Holding[0].Workflow != "a" || v.Holding[0].NodeID != "a-1" || v.Holding[0].Token != 4 ||
		v.Holding[0].Since == nil || !v.Holding[0].Since.Equal(now.Add(-time.Minute)) {
		t.Fatalf("holding %+v", v.Holding)
	}
	if len(v.Queue) != 2 || v.Queue[0].Workflow != "c" || v.Queue[0].Position != 1 || v.Queue[0].Priority != 5 ||
		v.Queue[0].WaitedSeconds != 10 || v.Queue[1].NodeID != "b-2" || v.Queue[1].Position != 2 {
		t.Fatalf("queue %+v", v.Queue)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"holders":{"default/a/a-1":4}`, `"waiters":["default/c","default/b/b-2"]`, `"limit":1`, `"fence":4`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("JSON %s lacks %s (the argo CLI and scripts read it)", raw, want)
		}
	}
}

// TestViewsReservationReason: under backfill, a multi-lock waiter that
// has waited past ReserveAfter keeps a permit; the waiter it holds back
// says so and names it, and a waiter that only waits for the limit has
// no reason.
func TestViewsReservationReason(t *testing.T) {
	now := time.Unix(1000, 0)
	a, b := "default/Database/a", "default/Database/b"
	st := &store.LockState{
		Locks: []store.LockInfo{{Key: a, Limit: 2}, {Key: b, Limit: 1}},
		Holds: map[string][]domain.Token{"default/h": {{Lock: b, Value: 1}}, "default/h2": {{Lock: a, Value: 1}}},
		Waiters: []domain.QueuedWaiter{
			// Needs a and b; b is full; waited 5 minutes: reserves a.
			{Waiter: domain.Waiter{Holder: "default/big", Locks: []string{a, b}, Created: time.Unix(1, 0), Seq: 1}, Enqueued: now.Add(-5 * time.Minute)},
			// Could take a's free permit, but big reserves it.
			{Waiter: domain.Waiter{Holder: "default/small", Locks: []string{a}, Created: time.Unix(2, 0), Seq: 2}, Enqueued: now.Add(-time.Minute)},
		},
	}
	var qa, qb []Waiting
	for _, v := range Views(st, "", now) {
		switch v.Lock {
		case a:
			qa = v.Queue
		case b:
			qb = v.Queue
		}
	}
	if len(qa) != 2 || qa[1].Workflow != "small" || qa[1].ReservedBy != "default/big" ||
		!strings.Contains(qa[1].Reason, "big") || !strings.Contains(qa[1].Reason, "reserved") {
		t.Fatalf("queue of a %+v: small must be held back by big's reservation", qa)
	}
	if qa[0].Reason != "" || len(qb) != 1 || qb[0].Reason != "" {
		t.Fatalf("big waits only for the limit of b, not a reservation: %+v %+v", qa, qb)
	}
}

// TestViewsEstimates: with enough recorded holds, a lock's queue entries
// carry each waiter's estimated start and its holders their expected
// release; without, both say unknown, never a number.
func TestViewsEstimates(t *testing.T) {
	now := time.Unix(1000, 0)
	key := "default/Mutex/m"
	var d eta.Digest
	for range eta.MinSamples {
		d.Add(2 * time.Minute)
	}
	text, err := d.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	st := &store.LockState{
		Locks:    []store.LockInfo{{Key: key, Limit: 1}},
		Holds:    map[string][]domain.Token{"default/a": {{Lock: key, Value: 1}}},
		HoldInfo: map[string]store.HoldInfo{"default/a": {Since: now.Add(-30 * time.Second)}},
		Waiters:  []domain.QueuedWaiter{{Waiter: domain.Waiter{Holder: "default/b", Locks: []string{key}}, Enqueued: now}},
	}
	v := Views(st, key, now)[0]
	if len(v.Queue) != 1 || v.Queue[0].Start == nil || v.Queue[0].Start.Known || v.Queue[0].Start.Why != eta.NoHistory ||
		len(v.Holding) != 1 || v.Holding[0].Release == nil || v.Holding[0].Release.Known {
		t.Fatalf("without history: queue %+v, holding %+v, want unknown start and release", v.Queue, v.Holding)
	}
	st.Stats = []store.HoldStats{{Lock: key, Digest: string(text)}}
	v = Views(st, key, now)[0]
	if s := v.Queue[0].Start; s == nil || !s.Known || !s.P50.Equal(now.Add(90*time.Second)) || s.Text != "starts in ~1m30s (90%: 1m30s)" {
		t.Fatalf("the waiter's start %+v, want in 1m30s", s)
	}
	if r := v.Holding[0].Release; r == nil || !r.Known || !r.P90.Equal(now.Add(90*time.Second)) || r.Text != "ends in ~1m30s (90%: 1m30s)" {
		t.Fatalf("the holder's release %+v, want in 1m30s", r)
	}
}

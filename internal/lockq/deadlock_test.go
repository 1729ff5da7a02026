package lockq

import (
	"reflect"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// The wait-for graph's cycles, as the engine asks for them: holders and
// waiters of mutexes and semaphores, nested holds through a waiter's
// workflow and the nodes it runs under.
func TestFindDeadlocks(t *testing.T) {
	t0 := time.Unix(1000, 0)
	hold := func(h string, locks ...string) domain.Grant {
		g := domain.Grant{Holder: h}
		for _, l := range locks {
			g.Tokens = append(g.Tokens, domain.Token{Lock: l, Value: 1})
		}
		return g
	}
	wait := func(h string, age int, locks ...string) domain.QueuedWaiter {
		return domain.QueuedWaiter{Waiter: domain.Waiter{Holder: h, Locks: locks, Created: t0.Add(time.Duration(age) * time.Second), Seq: uint64(age)}}
	}
	const (
		A = "ns/Mutex/a"
		B = "ns/Mutex/b"
		S = "ns/ConfigMap/cm/s"
	)
	mutexes := []LockState{{Key: A, Limit: 1}, {Key: B, Limit: 1}}
	for _, c := range []struct {
		name    string
		locks   []LockState
		holders []domain.Grant
		waiters []domain.QueuedWaiter
		under   map[string][]string
		want    []Deadlock
	}{
		{name: "workflow-level A then B against B then A",
			locks:   mutexes,
			holders: []domain.Grant{hold("ns/wa", A), hold("ns/wb", B)},
			waiters: []domain.QueuedWaiter{wait("ns/wa/x", 1, B), wait("ns/wb/y", 2, A)},
			want: []Deadlock{{Victim: "ns/wb/y", Cycle: []DeadlockStep{
				{Waiter: "ns/wb/y", Lock: A, Holder: "ns/wa"}, {Waiter: "ns/wa/x", Lock: B, Holder: "ns/wb"}}}}},
		{name: "template-level holds through parent nodes",
			locks:   mutexes,
			holders: []domain.Grant{hold("ns/wa/p", A), hold("ns/wb/q", B), hold("ns/wa/other")},
			waiters: []domain.QueuedWaiter{wait("ns/wa/x", 5, B), wait("ns/wb/y", 3, A)},
			under:   map[string][]string{"ns/wa/x": {"ns/wa/p"}, "ns/wb/y": {"ns/wb/q"}},
			want: []Deadlock{{Victim: "ns/wa/x", Cycle: []DeadlockStep{
				{Waiter: "ns/wa/x", Lock: B, Holder: "ns/wb/q"}, {Waiter: "ns/wb/y", Lock: A, Holder: "ns/wa/p"}}}}},
		{name: "a sibling holding A is no cycle: it ends and releases",
			locks:   mutexes,
			holders: []domain.Grant{hold("ns/wa/sibling", A), hold("ns/wb/q", B)},
			waiters: []domain.QueuedWaiter{wait("ns/wa/x", 1, B), wait("ns/wb/y", 2, A)},
			under:   map[string][]string{"ns/wb/y": {"ns/wb/q"}}},
		{name: "self-deadlock: a node waits for the mutex its parent holds",
			locks:   mutexes,
			holders: []domain.Grant{hold("ns/w/p", A)},
			waiters: []domain.QueuedWaiter{wait("ns/w/c", 1, A)},
			under:   map[string][]string{"ns/w/c": {"ns/w/p"}},
			want:    []Deadlock{{Victim: "ns/w/c", Cycle: []DeadlockStep{{Waiter: "ns/w/c", Lock: A, Holder: "ns/w/p"}}}}},
		{name: "a semaphore with one holder that can go on is no deadlock",
			locks:   []LockState{{Key: A, Limit: 1}, {Key: S, Limit: 2}},
			holders: []domain.Grant{hold("ns/wa", A, S), hold("ns/free", S)},
			waiters: []domain.QueuedWaiter{wait("ns/wa/x", 1, S), wait("ns/wb", 2, A)}},
		{name: "a semaphore whose every holder is stuck: the youngest waiter under any of them is failed, every holder named",
			locks:   []LockState{{Key: A, Limit: 1}, {Key: S, Limit: 2}},
			holders: []domain.Grant{hold("ns/wa", A), hold("ns/wb", S), hold("ns/wc", S)},
			waiters: []domain.QueuedWaiter{wait("ns/wa/x", 1, S), wait("ns/wb/y", 2, A), wait("ns/wc/z", 3, A)},
			want: []Deadlock{{Victim: "ns/wc/z", Cycle: []DeadlockStep{{Waiter: "ns/wc/z", Lock: A, Holder: "ns/wa"},
				{Waiter: "ns/wa/x", Lock: S, Holder: "ns/wb", Also: []string{"ns/wc"}}, {Waiter: "ns/wb/y", Lock: A, Holder: "ns/wa"}}}}},
		{name: "a semaphore nested in itself by two runs",
			locks:   []LockState{{Key: S, Limit: 2}},
			holders: []domain.Grant{hold("ns/w1/m", S), hold("ns/w2/m", S)},
			waiters: []domain.QueuedWaiter{wait("ns/w1/t", 1, S), wait("ns/w2/t", 2, S)},
			under:   map[string][]string{"ns/w1/t": {"ns/w1/m"}, "ns/w2/t": {"ns/w2/m"}},
			want: []Deadlock{{Victim: "ns/w2/t", Cycle: []DeadlockStep{{Waiter: "ns/w2/t", Lock: S, Holder: "ns/w1/m", Also: []string{"ns/w2/m"}},
				{Waiter: "ns/w1/t", Lock: S, Holder: "ns/w1/m", Also: []string{"ns/w2/m"}}}}}},
		{name: "a paused lock (limit 0) is no deadlock",
			locks:   []LockState{{Key: A, Limit: 0}},
			waiters: []domain.QueuedWaiter{wait("ns/w", 1, A)}},
		{name: "three workflows in a ring; a bystander queued behind is not in it",
			locks:   []LockState{{Key: A, Limit: 1}, {Key: B, Limit: 1}, {Key: "ns/Mutex/c", Limit: 1}},
			holders: []domain.Grant{hold("ns/w1", A), hold("ns/w2", B), hold("ns/w3", "ns/Mutex/c")},
			waiters: []domain.QueuedWaiter{wait("ns/w1/n", 1, B), wait("ns/w2/n", 2, "ns/Mutex/c"), wait("ns/w3/n", 3, A), wait("ns/late", 9, A)},
			want: []Deadlock{{Victim: "ns/w3/n", Cycle: []DeadlockStep{
				{Waiter: "ns/w3/n", Lock: A, Holder: "ns/w1"}, {Waiter: "ns/w1/n", Lock: B, Holder: "ns/w2"}, {Waiter: "ns/w2/n", Lock: "ns/Mutex/c", Holder: "ns/w3"}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := State{Locks: c.locks, Holders: c.holders, Waiters: c.waiters}
			got, err := FindDeadlocks(st, func(w string) []string { return c.under[w] }, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// The message names the cycle from the victim round, as a database's
// detector does.
func TestDeadlockDescribe(t *testing.T) {
	d := Deadlock{Victim: "ns/wb/y", Cycle: []DeadlockStep{
		{Waiter: "ns/wb/y", Lock: "ns/Mutex/a", Holder: "ns/wa"}, {Waiter: "ns/wa/x", Lock: "ns/Mutex/b", Holder: "ns/wb"}}}
	name := func(h string) string {
		k, _ := domain.ParseHolderKey(h)
		if k.NodeID == "" {
			return k.Namespace + "/" + k.Workflow
		}
		return k.Namespace + "/" + k.Workflow + " (node " + k.NodeID + ")"
	}
	want := "deadlock: ns/wb (node y) waits for mutex ns/Mutex/a held by ns/wa, which waits, through ns/wa (node x), for mutex ns/Mutex/b " +
		"held by ns/wb; failed the youngest waiter, ns/wb (node y)"
	if got := d.Describe(name); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// The nodes a waiter runs under travel with it: through the queue's
// state and a restore (as after an engine restart, or on another node of
// a shared store), and the detector reads them from the waiter itself,
// with no caller's memory of the request.
func TestDeadlockUnderTravelsWithTheWaiter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	q := New(Config{})
	for _, k := range []string{"ns/Mutex/a", "ns/Mutex/b"} {
		if _, err := q.SetLimit(k, 1, t0); err != nil {
			t.Fatal(err)
		}
	}
	add := func(w domain.Waiter) {
		t.Helper()
		if _, err := q.Add(w, t0); err != nil {
			t.Fatal(err)
		}
	}
	add(domain.Waiter{Holder: "ns/wa/p", Locks: []string{"ns/Mutex/a"}, Created: t0})
	add(domain.Waiter{Holder: "ns/wb/q", Locks: []string{"ns/Mutex/b"}, Created: t0.Add(time.Second)})
	add(domain.Waiter{Holder: "ns/wa/x", Locks: []string{"ns/Mutex/b"}, Created: t0, Under: []string{"ns/wa/p"}})
	add(domain.Waiter{Holder: "ns/wb/y", Locks: []string{"ns/Mutex/a"}, Created: t0.Add(time.Second), Under: []string{"ns/wb/q"}})
	restored, _, err := Restore(Config{}, q.State(), t0)
	if err != nil {
		t.Fatal(err)
	}
	st := restored.State()
	for _, w := range st.Waiters {
		if want := map[string]string{"ns/wa/x": "ns/wa/p", "ns/wb/y": "ns/wb/q"}[w.Holder]; len(w.Under) != 1 || w.Under[0] != want {
			t.Fatalf("waiter %s runs under %q after a restore, want [%s]", w.Holder, w.Under, want)
		}
	}
	got, err := FindDeadlocks(st, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Victim != "ns/wb/y" {
		t.Fatalf("got %+v, want one cycle whose victim is ns/wb/y", got)
	}
}

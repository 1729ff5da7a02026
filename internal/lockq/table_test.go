package lockq

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// run applies a script of operations and returns the holders granted by
// each, as "id id ..." strings. Script lines:
//
//	limit LOCK N | add ID PRIO CREATEDSEC LOCK[,LOCK] | cancel ID | release ID | wait SECONDS
func run(t *testing.T, policy Policy, script string) []string {
	t.Helper()
	q := New(Config{Policy: policy, ReserveAfter: 10 * time.Second})
	now := t0
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		f := strings.Fields(line)
		var gs []domain.Grant
		var err error
		switch f[0] {
		case "limit":
			gs, err = q.SetLimit(f[1], atoi(t, f[2]), now)
		case "add":
			gs, err = q.Add(domain.Waiter{Holder: f[1], Priority: int32(atoi(t, f[2])),
				Created: t0.Add(time.Duration(atoi(t, f[3])) * time.Second), Locks: strings.Split(f[4], ",")}, now)
		case "cancel":
			gs, _ = q.Cancel(f[1], now)
		case "release":
			gs, _ = q.Release(f[1], now)
		case "wait":
			now = now.Add(time.Duration(atoi(t, f[1])) * time.Second)
			gs = q.Advance(now)
		}
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		var ids []string
		for _, g := range gs {
			ids = append(ids, g.Holder)
		}
		out = append(out, strings.Join(ids, " "))
	}
	return out
}

func atoi(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func TestGrantRuleTable(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		script string
		want   []string // grants per line; only lines up to len(want) are checked
	}{
		{"priority then creation time (Argo TestPriority)", Strict, `
limit s 1
add holder 0 0 s
add old-low 0 1 s
add new-high 5 9 s
add older-low 0 0 s
release holder
release new-high
release older-low`, []string{"", "holder", "", "", "", "new-high", "older-low", "old-low"}},
		{"ties on priority and creation go by enqueue order", Strict, `
limit s 1
add h 0 0 s
add b 0 5 s
add a 0 5 s
release h
release b`, []string{"", "h", "", "", "b", "a"}},
		{"limit 2 with four queued (Argo TestTryAcquireSemaphore)", Strict, `
limit s 2
add wf-01 0 1 s
add wf-02 0 2 s
add wf-03 0 3 s
add wf-04 0 4 s
release wf-01`, []string{"", "wf-01", "wf-02", "", "", "wf-03"}},
		{"mutex is a semaphore of limit 1", Strict, `
limit m 1
add a 0 0 m
add b 0 1 m
release a
release a`, []string{"", "a", "", "b", ""}},
		{"all-or-nothing over three locks", Strict, `
limit one 1
limit two 1
limit three 1
add x 0 0 two
add all 0 1 one,two,three
release x`, []string{"", "", "", "x", "", "all"}},
		{"strict: a multi-lock head blocks a free lock (Argo MultipleMutexOrdering)", Strict, `
limit a 1
limit b 1
add hb 0 0 b
add ab 0 1 a,b
add a-only 0 2 a
release hb`, []string{"", "", "hb", "", "", "ab"}},
		{"backfill: others use the free lock until reserveAfter", Backfill, `
limit a 1
limit b 1
add hb 0 0 b
add ab 0 1 a,b
add a1 0 2 a
release a1
wait 11
add a2 0 3 a
release hb`, []string{"", "", "hb", "", "a1", "", "", "", "ab"}},
		{"raising the limit grants at once; lowering never preempts", Strict, `
limit s 1
add a 0 0 s
add b 0 1 s
add c 0 2 s
limit s 3
limit s 1
add d 0 3 s
release a
release b
release c`, []string{"", "a", "", "", "b c", "", "", "", "", "d"}},
		{"limit 0 pauses", Strict, `
limit s 0
add a 0 0 s
limit s 1`, []string{"", "", "a"}},
		{"siblings of one workflow go in enqueue order", Strict, `
limit s 2
add ns/wf/n3 0 0 s
add ns/wf/n1 0 0 s
add ns/wf/n2 0 0 s
release ns/wf/n3`, []string{"", "ns/wf/n3", "ns/wf/n1", "", "ns/wf/n2"}},
		{"cancelling the head lets the next in", Strict, `
limit a 1
limit b 1
add hb 0 0 b
add ab 0 1 a,b
add a-only 0 2 a
cancel ab`, []string{"", "", "hb", "", "", "a-only"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.policy, tc.script)
			for i, want := range tc.want {
				if got[i] != want {
					t.Errorf("line %d: granted %q, want %q (all: %q)", i+1, got[i], want, got)
				}
			}
		})
	}
}

func TestIdempotenceAndErrors(t *testing.T) {
	q := New(Config{})
	if _, err := q.SetLimit("s", 1, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := q.SetLimit("s", -1, t0); err == nil {
		t.Error("negative limit accepted")
	}
	gs, _ := q.Add(domain.Waiter{Holder: "a", Locks: []string{"s"}, Created: t0}, t0)
	if len(gs) != 1 || gs[0].Tokens[0].Value != 1 {
		t.Fatalf("first grant: %v", gs)
	}
	if gs, _ := q.Add(domain.Waiter{Holder: "a", Locks: []string{"s"}, Created: t0}, t0); len(gs) != 0 {
		t.Fatal("granting twice must be impossible")
	}
	if _, ok := q.Release("nobody", t0); ok {
		t.Error("release of a non-holder must report false")
	}
	if _, ok := q.Cancel("nobody", t0); ok {
		t.Error("cancel of an unknown waiter must report false")
	}
	for _, w := range []domain.Waiter{{Holder: "x"}, {Locks: []string{"s"}}, {Holder: "x", Locks: []string{"nope"}}, {Holder: "x", Locks: []string{"s", "s"}}} {
		if _, err := q.Add(w, t0); err == nil {
			t.Errorf("Add(%+v) accepted", w)
		}
	}
	if _, err := q.Add(domain.Waiter{Holder: "x", Locks: []string{"nope"}}, t0); !errors.Is(err, ErrUnknownLock) {
		t.Errorf("want ErrUnknownLock, got %v", err)
	}
	if _, ok := q.Release("a", t0); !ok {
		t.Fatal("release failed")
	}
	if _, ok := q.Release("a", t0); ok {
		t.Fatal("a permit was released twice")
	}
}

func TestPositionsAndSnapshot(t *testing.T) {
	q := New(Config{})
	_, _ = q.SetLimit("s", 1, t0)
	for i, id := range []string{"h", "w1", "w2", "w3"} {
		if _, err := q.Add(domain.Waiter{Holder: id, Locks: []string{"s"}, Created: t0.Add(time.Duration(i) * time.Second)}, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	pos := q.Position("w3")
	if len(pos) != 1 || pos[0].Position != 3 || pos[0].Ahead != 2 || pos[0].Length != 3 {
		t.Fatalf("position of w3: %+v", pos)
	}
	info, _ := q.Lock("s")
	if strings.Join(info.Holders, ",") != "h" || strings.Join(info.Waiters, ",") != "w1,w2,w3" ||
		!info.OldestWait.Equal(t0.Add(time.Second)) || info.Fence != 1 {
		t.Fatalf("snapshot: %+v", info)
	}
}

func TestRestoreRejectsInconsistentState(t *testing.T) {
	bad := []State{
		{Locks: []LockState{{Key: "s", Limit: -1}}},
		{Holders: []domain.Grant{{Holder: "h", Tokens: []domain.Token{{Lock: "nope", Value: 1}}}}},
		{Locks: []LockState{{Key: "s", Limit: 1, Fence: 1}}, Holders: []domain.Grant{{Holder: "h", Tokens: []domain.Token{{Lock: "s", Value: 5}}}}},
		{Locks: []LockState{{Key: "s", Limit: 1}}, Waiters: []domain.QueuedWaiter{{Waiter: domain.Waiter{Holder: "a", Locks: []string{"s"}, Seq: 1}}, {Waiter: domain.Waiter{Holder: "b", Locks: []string{"s"}, Seq: 1}}}},
		{Locks: []LockState{{Key: "s", Limit: 2}}, Waiters: []domain.QueuedWaiter{{Waiter: domain.Waiter{Holder: "a", Locks: []string{"s", "s"}, Seq: 1}}}},
		{Locks: []LockState{{Key: "s", Limit: 2, Fence: 2}}, Holders: []domain.Grant{{Holder: "h", Tokens: []domain.Token{{Lock: "s", Value: 1}, {Lock: "s", Value: 2}}}}},
	}
	for i, st := range bad {
		if _, _, err := Restore(Config{}, st, t0); err == nil {
			t.Errorf("state %d accepted", i)
		}
	}
	// A state saved before its grants were made is completed on restore.
	st := State{NextSeq: 2, Locks: []LockState{{Key: "s", Limit: 1}}, Waiters: []domain.QueuedWaiter{{Waiter: domain.Waiter{Holder: "a", Locks: []string{"s"}, Seq: 1}}}}
	_, gs, err := Restore(Config{}, st, t0)
	if err != nil || len(gs) != 1 || gs[0].Holder != "a" {
		t.Fatalf("restore grants %v, %v", gs, err)
	}
}

package sim

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func reqEv(at int, holder string, prio int32, locks ...string) RecordedEvent {
	return RecordedEvent{At: ms(at), Type: domain.EventLockRequested,
		Message: domain.FormatLockRequest(domain.LockRequest{Holder: holder, Priority: prio, Locks: locks})}
}
func grantEv(at int, holder string) RecordedEvent {
	return RecordedEvent{At: ms(at), Type: domain.EventLockGranted, Message: holder}
}
func relEv(at int, holder string) RecordedEvent {
	return RecordedEvent{At: ms(at), Type: domain.EventLockReleased, Message: holder}
}

const mx = "default/Mutex/m"

// twoOnAMutex is w1 holding the mutex 10-1010 ms while w2, of higher
// priority, waits from 15 ms; w2's grant is heard 5 ms after w1 let go.
func twoOnAMutex() []Recorded {
	return []Recorded{{
		Name: "w1", Kind: "w", Created: ms(0), Finished: ms(1030),
		Events: []RecordedEvent{{At: ms(0), Type: "Submitted"}, reqEv(10, "default/w1/n1", 0, mx), grantEv(20, "default/w1/n1"),
			{At: ms(30), Type: "StepLaunched"}, relEv(1020, "default/w1/n1")},
	}, {
		Name: "w2", Kind: "w", Priority: 5, Created: ms(5), Finished: ms(2010),
		Events: []RecordedEvent{reqEv(15, "default/w2/n1", 5, mx), grantEv(1025, "default/w2/n1"), relEv(2000, "default/w2/n1")},
	}}
}

func TestFromHistoryBuildsActions(t *testing.T) {
	sc, rec, err := FromHistory(twoOnAMutex(), map[string]int{mx: 1, "default/Mutex/unused": 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sc.Locks, []Lock{{Key: mx, Limit: 1}}) {
		t.Fatalf("locks %+v, want only the mutex used", sc.Locks)
	}
	want := []Action{
		{Kind: Request, Holder: "default/w2/n1", Locks: []string{mx}, Delay: 10 * time.Millisecond},
		{Kind: Release, Holder: "default/w2/n1", After: []int{0}, Delay: 980 * time.Millisecond},
		{Kind: Finish, After: []int{1}, Delay: 10 * time.Millisecond},
	}
	if w2 := sc.Workflows[1]; w2.Name != "w2" || w2.Created != 5*time.Millisecond || w2.Priority != 5 || !reflect.DeepEqual(w2.Actions, want) {
		t.Fatalf("w2 replays as %+v, want created 5ms, priority 5, %+v", w2, want)
	}
	if rec.Done != 2010*time.Millisecond || rec.Workflows[0].Name != "w1" || rec.Workflows[1].Started != 1020*time.Millisecond {
		t.Fatalf("recording %+v", rec)
	}
	res, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	// Grants count from when they were made (w1's at its request, w2's
	// at w1's release), not from when the engine heard of them: the
	// replay is the recording.
	if res.Done != rec.Done || res.Workflows[1].Started != 1020*time.Millisecond {
		t.Fatalf("replay done at %v, w2 started at %v; want 2.01s and 1.02s", res.Done, res.Workflows[1].Started)
	}
	if err := sc.SetLimit("m", 2); err != nil {
		t.Fatal(err)
	}
	res, _ = Run(sc)
	if res.Done != 1030*time.Millisecond || res.Workflows[1].Started != 15*time.Millisecond {
		t.Fatalf("with a limit of 2: done at %v, w2 started at %v; want 1.03s and 15ms", res.Done, res.Workflows[1].Started)
	}
}

// A workflow-level lock is let go after the last lock nested in it, so a
// longer wait inside makes it held longer.
func TestFromHistoryNests(t *testing.T) {
	outer, inner := "default/Mutex/outer", "default/Mutex/inner"
	recs := []Recorded{{
		Name: "a", Created: ms(0), Finished: ms(700), Parents: map[string]string{"a-2": "a-1"},
		Events: []RecordedEvent{reqEv(0, "default/a", 0, outer), grantEv(10, "default/a"),
			reqEv(20, "default/a/a-2", 0, inner), grantEv(30, "default/a/a-2"), relEv(530, "default/a/a-2"),
			relEv(690, "default/a")},
	}, {
		// b holds inner 0-1000 ms in the replay when inner's limit is
		// left at 1 and b comes first.
		Name: "b", Created: ms(0), Finished: ms(1000),
		Events: []RecordedEvent{reqEv(0, "default/b/b-1", 0, inner), grantEv(0, "default/b/b-1"), relEv(1000, "default/b/b-1")},
	}}
	// In the recording b came after a; make it come first.
	recs[1].Events[0].At, recs[1].Created = ms(-1), ms(-1)
	sc, _, err := FromHistory(recs, map[string]int{outer: 1, inner: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := sc.Workflows[1]
	if rel := a.Actions[3]; rel.Kind != Release || rel.Holder != "default/a" || !reflect.DeepEqual(rel.After, []int{0, 2}) || rel.Delay != 160*time.Millisecond {
		t.Fatalf("the outer release is %+v, want after its grant and the inner release, by 160ms", rel)
	}
	if req := a.Actions[1]; !reflect.DeepEqual(req.After, []int{0}) || req.Delay != 20*time.Millisecond {
		t.Fatalf("the inner request is %+v, want 20ms after the outer grant (made at its request)", req)
	}
	res, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	// From zero (b's arrival): b holds inner 0-1001 ms. a arrives at
	// 1 ms, gets outer at once, asks for inner 20 ms later, gets it at
	// 1001 ms, holds it 510 ms, outer 160 ms more, and ends 10 ms later.
	if res.Done != 1681*time.Millisecond {
		t.Fatalf("done at %v, want 1.681s; %+v", res.Done, res.Holds)
	}
}

func TestFromHistoryNeedsLimits(t *testing.T) {
	_, _, err := FromHistory(twoOnAMutex(), map[string]int{})
	if err == nil || !strings.Contains(err.Error(), "lock default/Mutex/m: the store keeps no limit") {
		t.Fatalf("got %v, want the lock without a limit named", err)
	}
}

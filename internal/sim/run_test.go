package sim

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
)

const s = time.Second

// step is one lock hold of a sequential workflow.
type step struct {
	locks []string
	hold  time.Duration
}

// seq is a workflow that takes its steps' locks one after the other,
// each as soon as the previous one is let go, and ends with the last.
func seq(name string, prio int32, at time.Duration, steps ...step) Workflow {
	w := Workflow{Name: name, Kind: name, Priority: prio, Created: at}
	prev := -1
	for i, st := range steps {
		h := name + "/" + string(rune('a'+i))
		req := Action{Kind: Request, Holder: h, Locks: st.locks}
		if prev >= 0 {
			req.After = []int{prev}
		}
		w.Actions = append(w.Actions, req, Action{Kind: Release, Holder: h, After: []int{len(w.Actions)}, Delay: st.hold})
		prev = len(w.Actions) - 1
	}
	fin := Action{Kind: Finish}
	if prev >= 0 {
		fin.After = []int{prev}
	}
	w.Actions = append(w.Actions, fin)
	return w
}

func locks(kv ...any) []Lock {
	var out []Lock
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Lock{Key: kv[i].(string), Limit: kv[i+1].(int)})
	}
	return out
}

type wantWF struct {
	name              string
	started, finished time.Duration
}

func TestRunSchedules(t *testing.T) {
	a, b := []string{"A"}, []string{"B"}
	ab := []string{"A", "B"}
	cases := []struct {
		name  string
		sc    Scenario
		edit  func(*Scenario) error
		order []wantWF // in start order
		done  time.Duration
		lock  map[string]LockResult // only the fields set are checked: waits, utilisation, queue
	}{{
		name: "a mutex is granted by priority, then arrival",
		sc: Scenario{Locks: locks("A", 1), Workflows: []Workflow{
			seq("w1", 1, 0, step{a, 10 * s}), seq("w2", 3, 0, step{a, 10 * s}), seq("w3", 2, 0, step{a, 10 * s}),
			seq("w4", 2, 1*s, step{a, 10 * s})}},
		order: []wantWF{{"w1", 0, 10 * s}, {"w2", 10 * s, 20 * s}, {"w3", 20 * s, 30 * s}, {"w4", 30 * s, 40 * s}},
		done:  40 * s,
		lock:  map[string]LockResult{"A": {Requests: 4, WaitP50: 10 * s, WaitP95: 29 * s, WaitMax: 29 * s, Utilisation: 1, MaxQueue: 3, MaxHeld: 1}},
	}, {
		name: "a semaphore of two",
		sc: Scenario{Locks: locks("A", 2), Workflows: []Workflow{
			seq("w1", 0, 0, step{a, 10 * s}), seq("w2", 0, 1*s, step{a, 10 * s}), seq("w3", 0, 2*s, step{a, 10 * s}),
			seq("w4", 0, 3*s, step{a, 10 * s})}},
		order: []wantWF{{"w1", 0, 10 * s}, {"w2", 1 * s, 11 * s}, {"w3", 10 * s, 20 * s}, {"w4", 11 * s, 21 * s}},
		done:  21 * s,
		lock:  map[string]LockResult{"A": {Requests: 4, WaitP50: 0, WaitP95: 8 * s, WaitMax: 8 * s, Utilisation: 40.0 / 42, MaxQueue: 2, MaxHeld: 2}},
	}, {
		name: "--set raises the limit",
		sc: Scenario{Locks: locks("A", 1), Workflows: []Workflow{
			seq("w1", 1, 0, step{a, 10 * s}), seq("w2", 3, 0, step{a, 10 * s}), seq("w3", 2, 0, step{a, 10 * s})}},
		edit:  func(sc *Scenario) error { return sc.SetLimit("A", 3) },
		order: []wantWF{{"w1", 0, 10 * s}, {"w2", 0, 10 * s}, {"w3", 0, 10 * s}},
		done:  10 * s,
		lock:  map[string]LockResult{"A": {Requests: 3, Utilisation: 1, MaxHeld: 3}},
	}, {
		name: "--priority reorders the queue",
		sc: Scenario{Locks: locks("A", 1), Workflows: []Workflow{
			seq("w1", 1, 0, step{a, 10 * s}), seq("w2", 3, 0, step{a, 10 * s}), seq("w3", 2, 0, step{a, 10 * s})}},
		edit:  func(sc *Scenario) error { return sc.SetPriority("w3", 9) },
		order: []wantWF{{"w1", 0, 10 * s}, {"w3", 10 * s, 20 * s}, {"w2", 20 * s, 30 * s}},
		done:  30 * s,
	}, {
		// w2 needs A and B and waits for A; under backfill w3 uses B
		// meanwhile, as it finishes before w2 has waited ReserveAfter.
		name: "backfill lets a single-lock waiter past a multi-lock one",
		sc: Scenario{Locks: locks("A", 1, "B", 1), Workflows: []Workflow{
			seq("w1", 0, 0, step{a, 10 * s}), seq("w2", 0, 1*s, step{ab, 4 * s}), seq("w3", 0, 2*s, step{b, 5 * s})}},
		order: []wantWF{{"w1", 0, 10 * s}, {"w3", 2 * s, 7 * s}, {"w2", 10 * s, 14 * s}},
		done:  14 * s,
		lock:  map[string]LockResult{"B": {Requests: 2, WaitP50: 0, WaitP95: 9 * s, WaitMax: 9 * s, Utilisation: 9.0 / 14, MaxQueue: 1, MaxHeld: 1}},
	}, {
		name: "strict: a multi-lock waiter blocks its other locks",
		sc: Scenario{Queue: lockq.Config{Policy: lockq.Strict}, Locks: locks("A", 1, "B", 1), Workflows: []Workflow{
			seq("w1", 0, 0, step{a, 10 * s}), seq("w2", 0, 1*s, step{ab, 4 * s}), seq("w3", 0, 2*s, step{b, 5 * s})}},
		order: []wantWF{{"w1", 0, 10 * s}, {"w2", 10 * s, 14 * s}, {"w3", 14 * s, 19 * s}},
		done:  19 * s,
	}, {
		// w2 has waited 5 s at 6 s and from then reserves B: w4, coming
		// at 8 s when B is free, waits until w2 is done.
		name: "a reservation holds a free permit back",
		sc: Scenario{Queue: lockq.Config{ReserveAfter: 5 * s}, Locks: locks("A", 1, "B", 1), Workflows: []Workflow{
			seq("w1", 0, 0, step{a, 10 * s}), seq("w2", 0, 1*s, step{ab, 4 * s}), seq("w3", 0, 2*s, step{b, 5 * s}),
			seq("w4", 0, 8*s, step{b, 1 * s})}},
		order: []wantWF{{"w1", 0, 10 * s}, {"w3", 2 * s, 7 * s}, {"w2", 10 * s, 14 * s}, {"w4", 14 * s, 15 * s}},
		done:  15 * s,
	}, {
		// Sequential steps: w1 takes A then B; w2 takes B then A.
		name: "steps take their locks one after the other",
		sc: Scenario{Locks: locks("A", 1, "B", 1), Workflows: []Workflow{
			seq("w1", 0, 0, step{a, 3 * s}, step{b, 3 * s}), seq("w2", 0, 1*s, step{b, 4 * s}, step{a, 1 * s})}},
		// w1: A 0-3, wants B at 3 (w2 holds it 1-5), B 5-8. w2: B 1-5, A 5-6.
		order: []wantWF{{"w1", 0, 8 * s}, {"w2", 1 * s, 6 * s}},
		done:  8 * s,
	}, {
		name: "a limit of 0 leaves its workflows unfinished",
		sc: Scenario{Locks: locks("A", 1, "Z", 0), Workflows: []Workflow{
			seq("w1", 0, 0, step{a, 2 * s}), seq("w2", 0, 1*s, step{[]string{"Z"}, 1 * s})}},
		order: []wantWF{{"w1", 0, 2 * s}, {"w2", 1 * s, 1 * s}},
		done:  2 * s,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.edit != nil {
				if err := c.edit(&c.sc); err != nil {
					t.Fatal(err)
				}
			}
			res, err := Run(c.sc)
			if err != nil {
				t.Fatal(err)
			}
			var got []wantWF
			for _, w := range res.Workflows {
				got = append(got, wantWF{w.Name, w.Started, w.Finished})
			}
			if !reflect.DeepEqual(got, c.order) {
				t.Errorf("schedule %v, want %v", got, c.order)
			}
			if res.Done != c.done {
				t.Errorf("done at %v, want %v", res.Done, c.done)
			}
			for _, l := range res.Locks {
				want, ok := c.lock[l.Key]
				if !ok {
					continue
				}
				want.Key, want.Limit = l.Key, l.Limit
				if d := want.Utilisation - l.Utilisation; d > 1e-9 || d < -1e-9 {
					t.Errorf("lock %s utilisation %v, want %v", l.Key, l.Utilisation, want.Utilisation)
				}
				l.Utilisation = want.Utilisation
				if l != want {
					t.Errorf("lock %s: %+v, want %+v", l.Key, l, want)
				}
			}
		})
	}
}

func TestRunReportsUnfinished(t *testing.T) {
	res, err := Run(Scenario{Locks: locks("Z", 0), Workflows: []Workflow{seq("w", 0, 0, step{[]string{"Z"}, s})}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Unfinished, []string{"w"}) || !res.Workflows[0].Unfinished {
		t.Fatalf("unfinished %v, want [w]", res.Unfinished)
	}
}

func TestValidateNamesTheProblem(t *testing.T) {
	cases := map[string]struct {
		sc   Scenario
		want string
	}{
		"unknown lock":   {Scenario{Locks: locks("A", 1), Workflows: []Workflow{seq("w", 0, 0, step{[]string{"B"}, s})}}, "asks for lock B, which has no limit"},
		"negative limit": {Scenario{Locks: locks("A", -1)}, "lock A has a negative limit -1"},
		"forward wait": {Scenario{Locks: locks("A", 1), Workflows: []Workflow{{Name: "w", Actions: []Action{
			{Kind: Finish, After: []int{0}}}}}}, "workflow w action 0 (finish) waits for action 0"},
		"release of nobody": {Scenario{Workflows: []Workflow{{Name: "w", Actions: []Action{
			{Kind: Release, Holder: "h"}}}}}, `releases holder "h"`},
		"same holder twice": {Scenario{Locks: locks("A", 1), Workflows: []Workflow{
			seq("w", 0, 0, step{[]string{"A"}, s}), {Name: "v", Actions: []Action{{Kind: Request, Holder: "w/a", Locks: []string{"A"}}}}}},
			"asks again for holder w/a"},
	}
	for name, c := range cases {
		_, err := Run(c.sc)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", name, err, c.want)
		}
	}
}

func TestSetLimitByShortName(t *testing.T) {
	sc := Scenario{Locks: locks("default/Mutex/m", 1, "default/ConfigMap/cm/db", 2, "default/Database/db", 3)}
	if err := sc.SetLimit("m", 4); err != nil || sc.Locks[0].Limit != 4 {
		t.Fatalf("SetLimit(m): %v, limit %d", err, sc.Locks[0].Limit)
	}
	if err := sc.SetLimit("cm/db", 5); err != nil || sc.Locks[1].Limit != 5 {
		t.Fatalf("SetLimit(cm/db): %v, limit %d", err, sc.Locks[1].Limit)
	}
	if err := sc.SetLimit("db", 5); err == nil || !strings.Contains(err.Error(), "names 2 locks") {
		t.Fatalf("SetLimit(db) = %v, want it to say db is ambiguous", err)
	}
	if err := sc.SetLimit("nope", 5); err == nil || !strings.Contains(err.Error(), "the locks are default/ConfigMap/cm/db") {
		t.Fatalf("SetLimit(nope) = %v, want the list of locks", err)
	}
}

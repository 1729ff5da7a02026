package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
)

// Scenario is what to simulate: locks with their limits and workflows
// arriving over time. Times are offsets from the scenario's zero.
type Scenario struct {
	Locks     []Lock
	Workflows []Workflow
	// Queue configures the wait queues; the zero value is the engine's
	// (backfill, reserving after lockq.DefaultReserveAfter).
	Queue lockq.Config
}

// Lock is one lock and its limit.
type Lock struct {
	Key   string
	Limit int
}

// Workflow is one workflow's arrival and what it does, as actions that
// each wait for earlier ones.
type Workflow struct {
	Name string
	// Kind groups workflows of one shape (a generateName, a load kind),
	// for changing their priority together.
	Kind     string
	Priority int32
	// Created is when it arrives; it is also its creation time in the
	// grant order (priority, then creation).
	Created time.Duration
	Actions []Action
}

// ActionKind is what an action does.
type ActionKind int

// Action kinds.
const (
	// Request asks for Locks for Holder, all or nothing; it completes
	// when they are granted.
	Request ActionKind = iota + 1
	// Release lets Holder's locks go (or ends its wait); it completes at
	// once.
	Release
	// Finish ends the workflow.
	Finish
)

func (k ActionKind) String() string {
	switch k {
	case Request:
		return "request"
	case Release:
		return "release"
	case Finish:
		return "finish"
	}
	return fmt.Sprintf("action(%d)", int(k))
}

// Action is one step of a workflow: it happens Delay after the last of
// the actions After (indices of earlier actions of the same workflow) has
// completed, or Delay after the workflow arrived when After is empty.
type Action struct {
	Kind   ActionKind
	Holder string
	Locks  []string // Request only
	After  []int
	Delay  time.Duration
	// Source is where Delay comes from in the input (a load's
	// "workflows[0] (etl) steps[1].hold"), for messages; may be empty.
	Source string
}

// ErrInvalid is wrapped by every error of a scenario that cannot run.
var ErrInvalid = errors.New("invalid scenario")

// maxActions bounds one scenario, so every loop over it is bounded.
const maxActions = 10_000_000

// Validate checks that s can run: known locks, limits not negative,
// unique names, actions that wait only for earlier actions, a release
// only of a holder that asked.
func (s *Scenario) Validate() error {
	limits := make(map[string]bool, len(s.Locks))
	for _, l := range s.Locks {
		if l.Key == "" {
			return fmt.Errorf("%w: a lock has no name", ErrInvalid)
		}
		if limits[l.Key] {
			return fmt.Errorf("%w: lock %s is listed twice", ErrInvalid, l.Key)
		}
		if l.Limit < 0 {
			return fmt.Errorf("%w: lock %s has a negative limit %d", ErrInvalid, l.Key, l.Limit)
		}
		limits[l.Key] = true
	}
	names := map[string]bool{}
	holders := map[string]string{}
	total := 0
	for _, w := range s.Workflows {
		if w.Name == "" || names[w.Name] {
			return fmt.Errorf("%w: workflow name %q is empty or taken", ErrInvalid, w.Name)
		}
		names[w.Name] = true
		if w.Created < 0 {
			return fmt.Errorf("%w: workflow %s arrives before the start (%v)", ErrInvalid, w.Name, w.Created)
		}
		if w.Created > MaxTime {
			return fmt.Errorf("%w: workflow %s arrives at %v, past the end of the virtual clock (%v)", ErrInvalid, w.Name, w.Created, MaxTime)
		}
		total += len(w.Actions)
		if total > maxActions {
			return fmt.Errorf("%w: more than %d actions", ErrInvalid, maxActions)
		}
		asked := map[string]bool{}
		for i, a := range w.Actions {
			if err := validAction(w.Name, i, a, limits, asked, holders); err != nil {
				return err
			}
		}
	}
	return nil
}

func validAction(wf string, i int, a Action, limits, asked map[string]bool, holders map[string]string) error {
	where := fmt.Sprintf("workflow %s action %d (%s)", wf, i, a.Kind)
	if a.Delay < 0 {
		return fmt.Errorf("%w: %s has a negative delay %v", ErrInvalid, where, a.Delay)
	}
	if a.Delay > MaxTime {
		return fmt.Errorf("%w: %s has a delay of %v, past the end of the virtual clock (%v)", ErrInvalid, where, a.Delay, MaxTime)
	}
	for _, j := range a.After {
		if j < 0 || j >= i {
			return fmt.Errorf("%w: %s waits for action %d, which is not an earlier one", ErrInvalid, where, j)
		}
	}
	switch a.Kind {
	case Request:
		if a.Holder == "" || len(a.Locks) == 0 {
			return fmt.Errorf("%w: %s names no holder or no lock", ErrInvalid, where)
		}
		if other, ok := holders[a.Holder]; ok {
			return fmt.Errorf("%w: %s asks again for holder %s (already asked by workflow %s)", ErrInvalid, where, a.Holder, other)
		}
		holders[a.Holder] = wf
		seen := map[string]bool{}
		for _, k := range a.Locks {
			if !limits[k] {
				return fmt.Errorf("%w: %s asks for lock %s, which has no limit", ErrInvalid, where, k)
			}
			if seen[k] {
				return fmt.Errorf("%w: %s asks for lock %s twice", ErrInvalid, where, k)
			}
			seen[k] = true
		}
		asked[a.Holder] = true
	case Release:
		if !asked[a.Holder] {
			return fmt.Errorf("%w: %s releases holder %q, which asked for nothing before", ErrInvalid, where, a.Holder)
		}
	case Finish:
	default:
		return fmt.Errorf("%w: %s: unknown kind", ErrInvalid, where)
	}
	return nil
}

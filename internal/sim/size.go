package sim

import (
	"fmt"
	"math"
)

// Bounds on what one load description may make. A workflow with one
// held step costs about 2 KB to simulate and an action about 500 bytes
// (1,000,000 workflows took 2.1 GB), so these keep a run near 1 GB.
const (
	maxWorkflows   = 200_000
	maxSteps       = 1_000 // of one kind
	maxLoadActions = 2_000_000
)

// checkSize refuses a load too large to simulate from its counts alone,
// before any workflow is made.
func (l *Load) checkSize() error {
	workflows, actions := 0, 0
	for i := range l.Workflows {
		k := &l.Workflows[i]
		if len(k.Steps) > maxSteps {
			return fmt.Errorf("workflows[%d] (%s): %d steps; a kind may have at most %d", i, k.Kind, len(k.Steps), maxSteps)
		}
		copies := len(k.At)
		if copies == 0 {
			copies = max(k.Count, 0) // a count below 1 is refused with the kind
		}
		// Each copy: a request and a release per step that takes locks and
		// for the workflow's own locks, and its end.
		each := 1
		if len(k.Locks) > 0 {
			each += 2
		}
		for _, st := range k.Steps {
			if len(st.Locks) > 0 {
				each += 2
			}
		}
		workflows = addCapped(workflows, copies)
		actions = addCapped(actions, mulCapped(copies, each))
	}
	if workflows > maxWorkflows {
		return fmt.Errorf("the load makes %d workflows (%d kinds); simulate takes at most %d in all: lower the counts", workflows, len(l.Workflows), maxWorkflows)
	}
	if actions > maxLoadActions {
		return fmt.Errorf("the load makes %d actions (each workflow's end, and a request and a release per step that takes locks); simulate takes at most %d in all: lower the counts or the steps", actions, maxLoadActions)
	}
	return nil
}

// addCapped and mulCapped stop at math.MaxInt instead of wrapping: the
// counts come from the user.
func addCapped(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func mulCapped(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

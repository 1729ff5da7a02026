package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
)

// submitBatch bounds the copies of one manifest (--count) stored in one
// transaction: a transaction per copy was most of the engine's work for
// a thousand small copies, and one for all of them would hold every copy
// back until the last is written.
const submitBatch = 128

// submission is a stored copy and its engine.Waiter, taken as it was
// submitted. earlier marks a copy that an earlier run of the same command
// finished: it is reported as stored, and has no logs to follow.
type submission struct {
	wf      *wfv1.Workflow
	wait    func(context.Context) (*wfv1.Workflow, bool, error)
	earlier bool
}

// submitCopies stores count copies of wf, submitBatch at a time, and
// returns the stored ones in order. held are this command's copies that
// --db held before the engine started (checkHeldNames): one being resumed
// (in resumed) or finished is not submitted again. A batch refused
// because a fixed name was taken since goes again one copy at a time,
// judged as checkHeldNames judges (see earlierCopy).
func submitCopies(ctx context.Context, stderr io.Writer, eng *engine.Engine, wf *wfv1.Workflow, count int, db string, held *heldCopies, resumed map[string]bool) ([]submission, error) {
	// A slot per copy: those stored and those submitted keep the copies'
	// order, while the submitted ones still go in full batches.
	slots := make([]submission, count)
	var nResumed, nFinished int
	defer func() {
		// One line per manifest, not one per copy: a rerun of --count 400
		// would otherwise print hundreds.
		if nResumed+nFinished > 0 {
			fmt.Fprintf(stderr, "%s: %d being resumed from %s, %d finished there by an earlier run (reported as stored): not submitted again\n",
				copiesOf(wf, count), nResumed, db, nFinished)
		}
	}()
	stored := func(i int, old *wfv1.Workflow) {
		nFinished++
		slots[i] = submission{wf: old, earlier: true,
			wait: func(context.Context) (*wfv1.Workflow, bool, error) { return old, false, nil }}
	}
	batch := make([]*wfv1.Workflow, 0, min(submitBatch, count))
	at := make([]int, 0, cap(batch))
	flush := func() error {
		defer func() { batch, at = batch[:0], at[:0] }()
		if len(batch) == 0 {
			return nil
		}
		subs, err := eng.SubmitAll(ctx, batch)
		if err == nil {
			for j, sub := range subs {
				slots[at[j]] = submission{wf: sub, wait: eng.Waiter(sub.Metadata.UID)}
			}
			return nil
		}
		if !errors.Is(err, store.ErrExists) {
			return err
		}
		for j, c := range batch {
			sub, err := eng.Submit(ctx, c)
			if errors.Is(err, store.ErrExists) {
				old, gerr := eng.Get(ctx, namespaceOf(c), c.Metadata.Name)
				switch {
				case gerr != nil:
				case resumed[old.Metadata.UID]:
					nResumed++
					continue
				case earlierCopy(old, c):
					stored(at[j], old)
					continue
				}
			}
			if err != nil {
				return err
			}
			slots[at[j]] = submission{wf: sub, wait: eng.Waiter(sub.Metadata.UID)}
		}
		return nil
	}
	for i := range count {
		c := copyOf(wf, i, count)
		if old := held.byName[namespaceOf(c)+"/"+c.Metadata.Name]; c.Metadata.Name != "" && old != nil {
			switch {
			case resumed[old.Metadata.UID]:
				nResumed++
				continue
			case slices.Contains(endedPhases, old.Status.Phase):
				stored(i, old)
				continue
			}
			// Unfinished yet not resumed here (another engine's on a
			// shared database): the store decides, as for any name.
		}
		batch, at = append(batch, c), append(at, i)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return filled(slots), err
			}
		}
	}
	err := flush()
	if uids := held.generated[wf]; err == nil && len(uids) > 0 {
		n := 0
		for _, uid := range uids {
			if resumed[uid] {
				n++
			}
		}
		if n > 0 {
			fmt.Fprintf(stderr, "workflow %s (generateName): %d left unfinished in %s by an earlier run being resumed, and %d new ones submitted as well: a rerun matches only copies of a fixed metadata.name, a generateName names new workflows each time\n",
				wf.Metadata.GenerateName, n, db, count)
		}
	}
	return filled(slots), err
}

// filled are the slots holding a copy, in order.
func filled(slots []submission) []submission {
	out := make([]submission, 0, len(slots))
	for _, s := range slots {
		if s.wf != nil {
			out = append(out, s)
		}
	}
	return out
}

// earlierCopy says whether old, stored under c's name, is c as an earlier
// run of the same command left it: finished, with the same spec (see
// sameSpec). A workflow of another manifest, or of other -p values,
// under the name is not: that name is taken, as argo submit says.
func earlierCopy(old, c *wfv1.Workflow) bool {
	return slices.Contains(endedPhases, old.Status.Phase) && sameSpec(old, c)
}

// copiesOf names wf's copies for a message: "workflow x" or
// "copies x-1..x-N of workflow x".
func copiesOf(wf *wfv1.Workflow, count int) string {
	if count == 1 {
		return "workflow " + wf.Metadata.Name
	}
	return fmt.Sprintf("copies %s-1..%s-%d of workflow %s", wf.Metadata.Name, wf.Metadata.Name, count, wf.Metadata.Name)
}

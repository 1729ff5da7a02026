package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
// returns the stored ones in order. A batch refused because a fixed name
// is taken goes again one copy at a time: the same command run again
// after a crash finds its copies being resumed, or finished before the
// crash, and neither is submitted again (see earlierCopy).
func submitCopies(ctx context.Context, stderr io.Writer, eng *engine.Engine, wf *wfv1.Workflow, count int, db string, resumed map[string]bool) ([]submission, error) {
	var out []submission
	var nResumed, nFinished int
	defer func() {
		// One line per manifest, not one per copy: a rerun of --count 400
		// would otherwise print hundreds.
		if nResumed+nFinished > 0 {
			fmt.Fprintf(stderr, "%s: %d being resumed from %s, %d finished there by an earlier run (reported as stored): not submitted again\n",
				copiesOf(wf, count), nResumed, db, nFinished)
		}
	}()
	for start := 0; start < count; start += submitBatch {
		batch := make([]*wfv1.Workflow, 0, min(submitBatch, count-start))
		for i := start; i < start+cap(batch); i++ {
			batch = append(batch, copyOf(wf, i, count))
		}
		subs, err := eng.SubmitAll(ctx, batch)
		if err == nil {
			for _, sub := range subs {
				out = append(out, submission{wf: sub, wait: eng.Waiter(sub.Metadata.UID)})
			}
			continue
		}
		if !errors.Is(err, store.ErrExists) {
			return out, err
		}
		for _, c := range batch {
			sub, err := eng.Submit(ctx, c)
			if errors.Is(err, store.ErrExists) {
				old, gerr := eng.Get(ctx, c.Metadata.Namespace, c.Metadata.Name)
				switch {
				case gerr != nil:
				case resumed[old.Metadata.UID]:
					nResumed++
					continue
				case earlierCopy(old, c):
					nFinished++
					out = append(out, submission{wf: old, earlier: true,
						wait: func(context.Context) (*wfv1.Workflow, bool, error) { return old, false, nil }})
					continue
				}
			}
			if err != nil {
				return out, err
			}
			out = append(out, submission{wf: sub, wait: eng.Waiter(sub.Metadata.UID)})
		}
	}
	return out, nil
}

// earlierCopy says whether old, stored under c's name, is c as an earlier
// run of the same command left it: finished, with the same spec (the
// engine's own shutdown and suspend marks aside). A workflow of another
// manifest, or of other -p values, under the name is not: that name is
// taken, as argo submit says.
func earlierCopy(old, c *wfv1.Workflow) bool {
	if !slices.Contains(endedPhases, old.Status.Phase) {
		return false
	}
	a, b := old.Spec, c.Spec
	a.Shutdown, a.Suspend = "", nil
	b.Shutdown, b.Suspend = "", nil
	ja, err := json.Marshal(&a)
	if err != nil {
		return false
	}
	jb, err := json.Marshal(&b)
	return err == nil && bytes.Equal(ja, jb)
}

// copiesOf names wf's copies for a message: "workflow x" or
// "copies x-1..x-N of workflow x".
func copiesOf(wf *wfv1.Workflow, count int) string {
	if count == 1 {
		return "workflow " + wf.Metadata.Name
	}
	return fmt.Sprintf("copies %s-1..%s-%d of workflow %s", wf.Metadata.Name, wf.Metadata.Name, count, wf.Metadata.Name)
}

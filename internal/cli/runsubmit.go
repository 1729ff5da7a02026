package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

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
// submitted.
type submission struct {
	wf   *wfv1.Workflow
	wait func(context.Context) (*wfv1.Workflow, bool, error)
}

// submitCopies stores count copies of wf, submitBatch at a time, and
// returns the stored ones in order. A batch refused because a fixed name
// is taken goes again one copy at a time: the same command run again
// after a crash finds its copies being resumed, and those are not
// submitted again.
func submitCopies(ctx context.Context, stderr io.Writer, eng *engine.Engine, wf *wfv1.Workflow, count int, db string, resumed map[string]bool) ([]submission, error) {
	var out []submission
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
				if old, gerr := eng.Get(ctx, c.Metadata.Namespace, c.Metadata.Name); gerr == nil && resumed[old.Metadata.UID] {
					fmt.Fprintf(stderr, "%s/%s is being resumed from %s: not submitted again\n", c.Metadata.Namespace, c.Metadata.Name, db)
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

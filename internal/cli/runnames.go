package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// checkDuplicateNames refuses, before anything is submitted, two
// Workflow documents of the input with one fixed metadata.name in one
// namespace: the second would be refused as "already exists" only once
// the copies of the first had started, and run would then end them all.
// Their copies clash exactly when the names do: a copy is named
// <name>-<number>, and "x-1" with copy k is "x-1-k", which no copy
// "x-<number>" of x can be.
func checkDuplicateNames(docs []*spec.Document, count int) error {
	seen := make(map[string]*spec.Document, len(docs))
	for _, d := range docs {
		m := d.Workflow.Metadata
		if m.Name == "" {
			continue // generateName: the engine picks free names
		}
		ns := namespaceOf(d.Workflow)
		key := ns + "/" + m.Name
		first, dup := seen[key]
		if !dup {
			seen[key] = d
			continue
		}
		clash := "would have the same name"
		if count > 1 {
			clash = fmt.Sprintf("would have the same names under --count %d", count)
		}
		return fmt.Errorf("workflow %q in namespace %s: %s and %s both name it, and their workflows %s: rename one; nothing was run",
			m.Name, ns, docPlace(first), docPlace(d), clash)
	}
	return nil
}

// docPlace says where a document is for a message: its file, its number
// in the file from 1, and the line it starts on.
func docPlace(d *spec.Document) string {
	return fmt.Sprintf("%s document %d (line %d)", d.File, d.Index+1, d.Pos.Line)
}

// heldCopies is what --db holds under the names this run's copies take,
// read before the engine starts: the engine resumes whatever it finds
// unfinished, so a name held by another workflow must be refused before.
type heldCopies struct {
	// byName are this command's copies an earlier run stored (the same
	// fixed name and spec), finished or not, by namespace/name.
	byName map[string]*wfv1.Workflow
	// generated are, per manifest with a generateName, the UIDs of the
	// unfinished workflows of that generateName and spec: the engine
	// resumes them, and the run submits new ones as well.
	generated map[*wfv1.Workflow][]string
}

// heldClash is a name of a copy that --db holds for another workflow.
type heldClash struct {
	doc   *spec.Document
	index int            // of the copy, from 0
	wf    *wfv1.Workflow // the copy
	old   *wfv1.Workflow // what holds its name
}

// checkHeldNames looks up every fixed name the copies of docs take in
// db, in one read transaction, before anything is submitted or resumed.
// A name held by a workflow that is not this command's copy (another
// spec, finished or not) refuses the whole run, naming it. Refused only
// at its copy's turn, the copies submitted before it were ended Failed
// and stayed stored, for a rerun to take as finished; and the engine
// would have resumed an unfinished one of another spec as this
// command's.
func checkHeldNames(ctx context.Context, db string, docs []*spec.Document, count int) (*heldCopies, error) {
	h := &heldCopies{byName: map[string]*wfv1.Workflow{}, generated: map[*wfv1.Workflow][]string{}}
	if db == "" || len(docs) == 0 {
		return h, nil
	}
	s, err := app.OpenStore(ctx, db, false)
	if errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var first *heldClash
	more := 0
	err = s.View(ctx, func(tx store.Tx) error {
		for _, d := range docs {
			wf := d.Workflow
			if wf.Metadata.Name == "" {
				uids, err := unfinishedGenerated(ctx, tx, wf)
				if err != nil {
					return fmt.Errorf("database %s: listing the workflows of generateName %s: %w", app.ShownDB(db), wf.Metadata.GenerateName, err)
				}
				h.generated[wf] = uids
				continue
			}
			for i := range count {
				c := copyOf(wf, i, count)
				key := namespaceOf(c) + "/" + c.Metadata.Name
				old, err := tx.GetWorkflow(ctx, namespaceOf(c), c.Metadata.Name)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return fmt.Errorf("database %s: reading workflow %s: %w", app.ShownDB(db), key, err)
				}
				switch {
				case !sameSpec(old, c):
					if first == nil {
						first = &heldClash{doc: d, index: i, wf: c, old: old}
					} else {
						more++
					}
				case slices.Contains(endedPhases, old.Status.Phase):
					h.byName[key] = old
				default:
					// To be resumed: only its UID is asked for, not its nodes.
					h.byName[key] = &wfv1.Workflow{Metadata: old.Metadata, Status: wfv1.WorkflowStatus{Phase: old.Status.Phase}}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if first != nil {
		return nil, first.refusal(db, count, more)
	}
	return h, nil
}

// unfinishedGenerated are the UIDs of the unfinished workflows stored
// with wf's generateName, namespace and spec.
func unfinishedGenerated(ctx context.Context, tx store.Tx, wf *wfv1.Workflow) ([]string, error) {
	list, _, err := tx.ListWorkflows(ctx, store.ListOptions{Namespace: namespaceOf(wf),
		Phases: []string{"", wfv1.PhasePending, wfv1.PhaseRunning},
		Match:  func(w *wfv1.Workflow) bool { return w.Metadata.GenerateName == wf.Metadata.GenerateName }})
	if err != nil {
		return nil, err
	}
	var uids []string
	for _, old := range list {
		if sameSpec(old, wf) {
			uids = append(uids, old.Metadata.UID)
		}
	}
	return uids, nil
}

// refusal says which name is held, by what, and the ways out.
func (c *heldClash) refusal(db string, count, more int) error {
	ns, name := namespaceOf(c.wf), c.wf.Metadata.Name
	mine := "the name of the workflow of " + docPlace(c.doc)
	if count > 1 {
		mine = fmt.Sprintf("the name of copy %d (of --count %d) of the workflow of %s", c.index+1, count, docPlace(c.doc))
	}
	state := c.old.Status.Phase
	why := "it is not this command's"
	if !slices.Contains(endedPhases, state) {
		if state == "" {
			state = wfv1.PhasePending
		}
		state += ", left unfinished by an earlier run"
		why = "it is not this command's copy to resume"
	}
	if t := c.old.Metadata.CreationTimestamp; t != nil {
		state += ", created " + t.Local().Format(time.DateTime)
	}
	also := ""
	if more > 0 {
		also = fmt.Sprintf(" (held likewise: %d more of its copy names)", more)
	}
	db = app.ShownDB(db)
	return fmt.Errorf("workflow %s/%s already exists in %s (%s) and is %s%s: the stored workflow's spec differs, so %s. "+
		"Delete it (semaflow server --db %s, then semaflow delete -n %s %s), give the workflow another metadata.name, or use another --db; nothing was run",
		ns, name, db, state, mine, also, why, db, ns, name)
}

// sameSpec says whether old, stored, has c's spec, the engine's own
// shutdown and suspend marks aside: then it is c as an earlier run of
// the same command left it.
func sameSpec(old, c *wfv1.Workflow) bool {
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

// namespaceOf is the namespace the engine stores wf in.
func namespaceOf(wf *wfv1.Workflow) string {
	if wf.Metadata.Namespace == "" {
		return spec.DefaultNamespace
	}
	return wf.Metadata.Namespace
}

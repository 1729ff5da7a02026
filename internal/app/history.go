package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/internal/sim"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// historyPage is how many workflows one read of the history lists.
const historyPage = 500

// maxHistory bounds the workflows History reads.
const maxHistory = 1_000_000

// History reads what a database recorded of its runs, for simulate: every
// workflow with its lock events and node tree, and the stored limits. A
// read: no engine is started and a live one is not disturbed.
func History(ctx context.Context, db string) ([]sim.Recorded, map[string]int, error) {
	s, err := openReadOnly(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var recs []sim.Recorded
	limits := map[string]int{}
	err = s.View(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
		if err != nil {
			return err
		}
		for _, l := range st.Locks {
			limits[l.Key] = l.Limit
		}
		cont := ""
		for range maxHistory / historyPage {
			page, next, err := tx.ListWorkflows(ctx, store.ListOptions{Limit: historyPage, Continue: cont})
			if err != nil {
				return err
			}
			for _, head := range page {
				r, err := recorded(ctx, tx, head.Metadata.UID)
				if err != nil {
					return err
				}
				if r != nil {
					recs = append(recs, *r)
				}
			}
			if next == "" {
				return nil
			}
			cont = next
		}
		return fmt.Errorf("database %s holds more than %d workflows: too many to simulate", db, maxHistory)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the history of %s: %w", db, err)
	}
	return recs, limits, nil
}

// openReadOnly opens a database to read: a SQLite file read only, never
// migrated. A PostgreSQL database is opened as every verb opens it
// (migrated if older): it has no read-only mode yet.
func openReadOnly(ctx context.Context, db string) (store.Store, error) {
	d, err := parseDB(db)
	if err != nil {
		return nil, err
	}
	if d.dsn != "" {
		return d.open(ctx, nil, 0)
	}
	return sqlite.OpenReadOnly(ctx, d.path)
}

// recorded reads one workflow for the simulator; nil for one without a
// creation time (it never ran).
func recorded(ctx context.Context, tx store.Tx, uid string) (*sim.Recorded, error) {
	wf, err := tx.GetWorkflowByUID(ctx, uid)
	if err != nil {
		return nil, err
	}
	m := wf.Metadata
	if m.CreationTimestamp == nil {
		return nil, nil
	}
	name := m.Namespace + "/" + m.Name
	kind := strings.TrimSuffix(m.GenerateName, "-")
	if kind == "" {
		kind = m.Name
	}
	r := &sim.Recorded{Name: name, Kind: kind, Priority: wf.Spec.GetPriority(), Created: *m.CreationTimestamp,
		Parents: map[string]string{}}
	if wf.Status.FinishedAt != nil {
		r.Finished = *wf.Status.FinishedAt
	}
	for id, n := range wf.Status.Nodes {
		for _, c := range n.Children {
			r.Parents[c] = id
		}
	}
	evs, err := tx.Events(ctx, uid)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		r.Events = append(r.Events, sim.RecordedEvent{At: e.At, Type: e.Type, Message: e.Message})
	}
	return r, nil
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// migrateDatabaseMutexes moves the holds and waits of database mutexes
// that versions before this one stored under <ns>/Database/<name>, the
// key they shared with the database semaphore of that name, to the
// mutex's own key <ns>/DatabaseMutex/<name>. It runs before the lock
// queues are built, as a write outside any manager, so every manager on
// the store rebuilds. Whose entry is a mutex's is read from its
// workflow; one it cannot tell (the workflow asks for the name both as a
// database mutex and as a database semaphore, or names one with an
// expression) is refused, naming the workflow, rather than guessed: a
// wrong guess grants the mutex twice or the semaphore once too often.
func migrateDatabaseMutexes(ctx context.Context, s store.Store) error {
	// Most stores have no database lock in use: a read finds that, and
	// a full disk or a busy shared store is not written to for nothing.
	var inUse bool
	if err := s.View(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
		inUse = err == nil && usesDatabaseLocks(st)
		return err
	}); err != nil || !inUse {
		return err
	}
	return s.Update(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
		if err != nil {
			return err
		}
		fences := map[string]uint64{}
		for _, l := range st.Locks {
			fences[l.Key] = l.Fence
		}
		m := dbMutexMigration{ctx: ctx, tx: tx, wfs: map[string]*wfv1.Workflow{}}
		for _, holder := range slices.Sorted(maps.Keys(st.Holds)) {
			toks := slices.Clone(st.Holds[holder])
			moved := false
			for i, t := range toks {
				nk, err := m.moveTo(holder, t.Lock, false)
				if err != nil {
					return err
				}
				if nk != "" {
					toks[i].Lock, moved = nk, true
					if err := m.ensure(nk, fences[t.Lock]); err != nil {
						return err
					}
				}
			}
			if !moved {
				continue
			}
			if err := tx.DeleteHold(ctx, holder); err != nil {
				return err
			}
			if err := tx.PutHold(ctx, holder, toks, st.HoldInfo[holder]); err != nil {
				return err
			}
		}
		for _, w := range st.Waiters {
			keys := slices.Clone(w.Locks)
			moved := false
			for i, k := range keys {
				nk, err := m.moveTo(w.Holder, k, true)
				if err != nil {
					return err
				}
				if nk != "" {
					keys[i], moved = nk, true
					if err := m.ensure(nk, fences[k]); err != nil {
						return err
					}
				}
			}
			if moved {
				w.Locks = keys
				if err := tx.PutWaiter(ctx, w); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

type dbMutexMigration struct {
	ctx  context.Context
	tx   store.Tx
	wfs  map[string]*wfv1.Workflow // by ns/name; nil: not stored
	made map[string]bool
}

// moveTo returns the mutex key a stored entry of holder on key moves
// to, "" when it stays.
func (m *dbMutexMigration) moveTo(holder, key string, waiting bool) (string, error) {
	k, err := domain.ParseLockKey(key)
	if err != nil || k.Kind != domain.LockDatabase {
		return "", nil
	}
	h, err := domain.ParseHolderKey(holder)
	if err != nil {
		return "", nil
	}
	wf, err := m.workflow(h.Namespace, h.Workflow)
	if err != nil || wf == nil {
		return "", err
	}
	to := domain.LockKey{Namespace: k.Namespace, Kind: domain.LockDatabaseMutex, Name: k.Name}.String()
	// The status says so for a waiter: mutexes waited under status.synchronization.mutex.
	if s := wf.Status.Synchronization; waiting && s != nil {
		if s.Mutex != nil && slices.Contains(s.Mutex.Waiting, wfv1.MutexHolding{Mutex: key, Holder: holder}) {
			return to, nil
		}
		if s.Semaphore != nil && slices.ContainsFunc(s.Semaphore.Waiting, func(w wfv1.SemaphoreHolding) bool {
			return w.Semaphore == key && slices.Contains(w.Holders, holder)
		}) {
			return "", nil
		}
	}
	mutex, sem, unsure := dbLockUses(wf, k)
	switch {
	case mutex && !sem && !unsure:
		return to, nil
	case !mutex && !unsure:
		return "", nil
	}
	return "", fmt.Errorf("database lock %s: workflow %s/%s holds or waits for it, and asks for %q as a database mutex and may also as a database semaphore; "+
		"this version keys database mutexes %s, apart from the semaphore, and cannot tell which of the two this is: "+
		"let %s/%s finish (or stop it) with the previous semaflow version, then start this one again",
		key, h.Namespace, h.Workflow, k.Name, to, h.Namespace, h.Workflow)
}

// ensure makes the mutex key's lock row, limit 1, its fence no lower
// than the shared key's, so tokens never go back.
func (m *dbMutexMigration) ensure(key string, fence uint64) error {
	if m.made == nil {
		m.made = map[string]bool{}
	}
	if m.made[key] {
		return nil
	}
	m.made[key] = true
	if err := m.tx.PutLockLimit(m.ctx, key, 1); err != nil {
		return err
	}
	return m.tx.PutFence(m.ctx, key, fence)
}

func (m *dbMutexMigration) workflow(ns, name string) (*wfv1.Workflow, error) {
	if wf, ok := m.wfs[ns+"/"+name]; ok {
		return wf, nil
	}
	wf, err := m.tx.GetWorkflow(m.ctx, ns, name)
	if errors.Is(err, store.ErrNotFound) {
		wf, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	m.wfs[ns+"/"+name] = wf
	return wf, nil
}

// dbLockUses says whether wf asks for k's name in k's namespace as a
// database mutex and as a database semaphore anywhere (its own block,
// its templates, its WorkflowTemplate's); unsure when a name or
// namespace of a database lock is an expression.
func dbLockUses(wf *wfv1.Workflow, k domain.LockKey) (mutex, sem, unsure bool) {
	look := func(s *wfv1.Synchronization) {
		if s == nil {
			return
		}
		eachDBLock(s, func(name, ns string, isMutex bool) {
			if ns == "" {
				ns = wf.Metadata.Namespace
			}
			switch {
			case strings.Contains(name, "{{") || strings.Contains(ns, "{{"):
				unsure = true
			case name != k.Name || ns != k.Namespace:
			case isMutex:
				mutex = true
			default:
				sem = true
			}
		})
	}
	for _, sp := range []*wfv1.WorkflowSpec{&wf.Spec, wf.Status.StoredWorkflowTemplateSpec} {
		if sp == nil {
			continue
		}
		look(sp.Synchronization)
		for i := range sp.Templates {
			look(sp.Templates[i].Synchronization)
		}
	}
	for _, t := range wf.Status.StoredTemplates {
		look(t.Synchronization)
	}
	return mutex, sem, unsure
}

func eachDBLock(s *wfv1.Synchronization, fn func(name, ns string, isMutex bool)) {
	sems := append([]*wfv1.SemaphoreRef{s.Semaphore}, s.Semaphores...)
	for _, r := range sems {
		if r != nil && r.Database != nil {
			fn(r.Database.Key, r.Namespace, false)
		}
	}
	mutexes := append([]*wfv1.Mutex{s.Mutex}, s.Mutexes...)
	for _, mu := range mutexes {
		if mu != nil && mu.Database {
			fn(mu.Name, mu.Namespace, true)
		}
	}
}

// usesDatabaseLocks says whether a hold or a waiter names a database
// semaphore's key.
func usesDatabaseLocks(st *store.LockState) bool {
	isDB := func(key string) bool {
		k, err := domain.ParseLockKey(key)
		return err == nil && k.Kind == domain.LockDatabase
	}
	for _, toks := range st.Holds {
		for _, t := range toks {
			if isDB(t.Lock) {
				return true
			}
		}
	}
	for _, w := range st.Waiters {
		if slices.ContainsFunc(w.Locks, isDB) {
			return true
		}
	}
	return false
}

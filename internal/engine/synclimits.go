package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// SyncLimit names one semaphore limit the way Argo's sync API does: a
// ConfigMap key, or a database key (CmName empty).
type SyncLimit struct {
	Namespace, CmName, Key string
	Database               bool
}

func (l SyncLimit) lockKey() string {
	if l.Database {
		return domain.LockKey{Namespace: l.Namespace, Kind: domain.LockDatabase, Name: l.Key}.String()
	}
	return domain.LockKey{Namespace: l.Namespace, Kind: domain.LockConfigMap, Name: l.CmName, Key: l.Key}.String()
}

// Locks shows the stored locks (only: one lock key, or all).
func (e *Engine) Locks(ctx context.Context, only string) ([]locks.View, error) {
	var st *store.LockState
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return locks.Views(st, only, e.now()), nil
}

// GetSyncLimit reads a limit.
func (e *Engine) GetSyncLimit(ctx context.Context, l SyncLimit) (int, error) {
	if l.Database {
		views, err := e.Locks(ctx, l.lockKey())
		if err != nil {
			return 0, err
		}
		if len(views) == 0 {
			return 0, fmt.Errorf("semaphore %s: %w", l.lockKey(), store.ErrNotFound)
		}
		return views[0].Limit, nil
	}
	cm := e.objects.ConfigMap(l.Namespace, l.CmName)
	if cm == nil {
		return 0, fmt.Errorf("ConfigMap %s/%s: %w", l.Namespace, l.CmName, store.ErrNotFound)
	}
	n, err := spec.Limit(cm, l.Key)
	switch {
	case errors.Is(err, spec.ErrNoLimitKey):
		return 0, fmt.Errorf("%w: %w", err, store.ErrNotFound)
	case err != nil:
		return 0, fmt.Errorf("%w: %w", err, ErrState)
	}
	return n, nil
}

// SetSyncLimit creates (create: ErrExists if set) or changes (ErrNotFound
// if not set) a limit. It applies at once: a raise grants waiters now.
func (e *Engine) SetSyncLimit(ctx context.Context, l SyncLimit, limit int, create bool) error {
	if limit < 0 {
		return fmt.Errorf("semaphore %s: limit %d is negative: %w", l.lockKey(), limit, ErrState)
	}
	_, err := e.GetSyncLimit(ctx, l)
	switch {
	case err == nil && create:
		return fmt.Errorf("semaphore %s: %w", l.lockKey(), store.ErrExists)
	case err != nil && !create:
		return err
	}
	if !l.Database {
		return e.Apply(ctx, []*wfv1.ConfigMap{e.configMapWith(l, strconv.Itoa(limit))}, nil)
	}
	var grants []domain.Grant
	err = e.store.Update(ctx, func(tx store.Tx) error {
		var err error
		grants, err = e.locks.SetLimit(ctx, tx, l.lockKey(), limit, e.now())
		return err
	})
	if err != nil {
		return err
	}
	e.deliver(grants)
	return nil
}

// SetLockLimit sets a semaphore's limit whether or not one is set yet
// (sync set): a ConfigMap key is written into the stored ConfigMap too, so
// the two agree, and the lock manager records the limit with the lock in
// the same transaction. An increase grants waiters at once, a decrease
// never preempts holders, 0 pauses the lock.
func (e *Engine) SetLockLimit(ctx context.Context, l SyncLimit, limit int) error {
	if limit < 0 {
		return fmt.Errorf("semaphore %s: limit %d is negative: %w", l.lockKey(), limit, ErrState)
	}
	var cm *wfv1.ConfigMap
	var doc []byte
	if !l.Database {
		cm = e.configMapWith(l, strconv.Itoa(limit))
		var err error
		if doc, err = json.Marshal(cm); err != nil {
			return err
		}
	}
	now := e.now()
	var grants []domain.Grant
	err := e.store.Update(ctx, func(tx store.Tx) error {
		if cm != nil {
			if err := tx.PutObject(ctx, store.Object{Kind: wfv1.KindConfigMap, Namespace: l.Namespace, Name: l.CmName, Doc: doc, UpdatedAt: now}); err != nil {
				return fmt.Errorf("ConfigMap %s/%s: %w", l.Namespace, l.CmName, err)
			}
		}
		var err error
		grants, err = e.locks.SetLimit(ctx, tx, l.lockKey(), limit, now)
		return err
	})
	if err != nil {
		return err
	}
	if cm != nil {
		if err := e.objects.put(wfv1.KindConfigMap, doc); err != nil {
			return err
		}
	}
	e.deliver(grants)
	return nil
}

// DeleteSyncLimit removes a ConfigMap key. Semaphores already known keep
// their last limit until it is set again. A database semaphore cannot be
// removed: set its limit to 0 to pause it.
func (e *Engine) DeleteSyncLimit(ctx context.Context, l SyncLimit) error {
	if l.Database {
		return &limitError{fmt.Sprintf("semaphore %s: a database semaphore cannot be deleted, its limit lives in the database: set its limit to 0 to pause it", l.lockKey())}
	}
	if _, err := e.GetSyncLimit(ctx, l); err != nil {
		return err
	}
	return e.Apply(ctx, []*wfv1.ConfigMap{e.configMapWith(l, "")}, nil)
}

// configMapWith copies the ConfigMap of l (or makes it) with its key set
// to value, or removed when value is empty.
func (e *Engine) configMapWith(l SyncLimit, value string) *wfv1.ConfigMap {
	cm := &wfv1.ConfigMap{}
	if old := e.objects.ConfigMap(l.Namespace, l.CmName); old != nil {
		*cm = *old
	}
	cm.APIVersion, cm.Kind = "v1", wfv1.KindConfigMap
	cm.Metadata.Name, cm.Metadata.Namespace = l.CmName, l.Namespace
	cm.Data = maps.Clone(cm.Data)
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	if value == "" {
		delete(cm.Data, l.Key)
	} else {
		cm.Data[l.Key] = value
	}
	return cm
}

// LockStats returns every known lock's limit, holders and waiters, for
// metrics.
//
// On a shared store the numbers are read from the store first: other
// nodes grant and release too. If it cannot be read, the last known
// numbers stand.
func (e *Engine) LockStats() []locks.LockStat {
	e.reloadLocks()
	return e.locks.Stats()
}

// reloadLocks brings the lock queues up to date with other nodes' changes
// for a reader, on a shared store; elsewhere they are always current.
func (e *Engine) reloadLocks() {
	if !e.isShared() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.locks.Reload(ctx, e.store, e.now()); err != nil {
		e.log.Warn("cannot read the lock state other nodes changed; numbers may be stale", "err", err)
	}
}

// ObserveLocks installs an observer of grants and releases, for metrics.
func (e *Engine) ObserveLocks(o locks.Observer) { e.locks.SetObserver(o) }

// maxNamed caps the holders and waiters a refusal names.
const maxNamed = 10

// checkLimitChange refuses (ErrState) a change of the ConfigMap
// namespace/name that would leave a semaphore with holders or waiters
// without a limit: data is the new content, nil when the ConfigMap is
// deleted. Waiters would otherwise wait on a limit that no longer exists.
// A change racing a new request is still possible; its waiters are then
// told why in their message.
func (e *Engine) checkLimitChange(namespace, name string, data map[string]string) error {
	e.reloadLocks()
	users := e.locks.ConfigMapUsers(namespace, name)
	if len(users) == 0 {
		return nil
	}
	var problems []string
	for _, key := range slices.Sorted(maps.Keys(users)) {
		why := "the ConfigMap would be deleted"
		if data != nil {
			// ConfigMapUsers gives only this ConfigMap's semaphore keys.
			k, _ := domain.ParseLockKey(key)
			_, err := spec.ParseLimit(data, k.Key)
			if err == nil {
				continue
			}
			why = "the new ConfigMap " + err.Error()
		}
		who := users[key]
		named := strings.Join(who[:min(len(who), maxNamed)], ", ")
		if len(who) > maxNamed {
			named += fmt.Sprintf(" and %d more", len(who)-maxNamed)
		}
		problems = append(problems, fmt.Sprintf("semaphore %s is held or awaited by %s, and %s", key, named, why))
	}
	if len(problems) == 0 {
		return nil
	}
	return inUseError(fmt.Sprintf("ConfigMap %s/%s: change refused: %s; stop those workflows or let them finish first",
		namespace, name, strings.Join(problems, "; ")))
}

// inUseError is an ErrState whose message is only its own: ErrState's
// text speaks of a workflow.
type inUseError string

func (e inUseError) Error() string        { return string(e) }
func (e inUseError) Is(target error) bool { return target == ErrState }

// limitError is a refusal that says its own why: ErrState for callers,
// without ErrState's text about a workflow.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return ErrState }

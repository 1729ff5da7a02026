package locks

import (
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// Observer hears when locks are taken and let go, for metrics. It is
// called under the manager's mutex: it must be quick and must not call
// the manager back.
type Observer interface {
	// Taken: a holder got lock after waiting that long (0 when it did
	// not wait).
	Taken(lock Lock, waited time.Duration)
	// Released: a holder let lock go after holding it that long.
	Released(lock Lock, held time.Duration)
}

// Lock names a lock with the attributes of Argo's lock metrics: type
// (mutex or semaphore), storage (configmap, database, or engine for
// semaflow's throttles), lock_name and namespace.
type Lock struct {
	Key                            string
	Type, Storage, Name, Namespace string
}

// SetObserver installs o (nil removes it).
func (m *Manager) SetObserver(o Observer) {
	m.mu.Lock()
	m.obs = o
	m.mu.Unlock()
}

// LockStat is one lock's numbers at a moment, with the labels Argo's lock
// metrics carry.
type LockStat struct {
	Lock
	Limit, Held, Pending int
}

// Stats returns every known lock's limit, holders and waiters, sorted by
// key. It does not walk the queues.
func (m *Manager) Stats() []LockStat {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := m.q.Keys()
	out := make([]LockStat, 0, len(keys))
	for _, key := range keys {
		limit, held, _ := m.q.Usage(key)
		out = append(out, LockStat{Lock: m.lock(key), Limit: limit, Held: held, Pending: m.q.Pending(key)})
	}
	return out
}

func (m *Manager) lock(key string) Lock { return LockOf(key, m.refs[key].IsMutex) }

// LockOf splits a lock key into the metric attributes. Argo files
// in-memory mutexes under configmap storage; so does this. mutex tells
// database mutexes from database semaphores. A ConfigMap semaphore's name
// is <configmap>/<key>.
func LockOf(key string, mutex bool) Lock {
	k, err := domain.ParseLockKey(key)
	if err != nil {
		return Lock{Key: key, Type: "semaphore", Storage: "unknown", Name: key}
	}
	l := Lock{Key: key, Type: "semaphore", Name: k.Name, Namespace: k.Namespace}
	switch k.Kind {
	case domain.LockConfigMap:
		l.Storage, l.Name = "configmap", k.Name+"/"+k.Key
	case domain.LockMutex:
		l.Type, l.Storage = "mutex", "configmap"
	case domain.LockDatabase:
		l.Storage = "database"
		if mutex {
			l.Type = "mutex"
		}
	case domain.LockDatabaseMutex:
		l.Type, l.Storage = "mutex", "database"
	case domain.LockEngine:
		l.Storage = "engine"
	}
	return l
}

// taken tells the observer of grants and starts their hold clocks.
func (m *Manager) taken(grants []domain.Grant, now time.Time) {
	for _, g := range grants {
		var waited time.Duration
		if since, ok := m.waitSince[g.Holder]; ok {
			waited = now.Sub(since)
			delete(m.waitSince, g.Holder)
		}
		m.holdSince[g.Holder] = now
		if m.obs != nil {
			for _, t := range g.Tokens {
				m.obs.Taken(m.lock(t.Lock), waited)
			}
		}
	}
}

// released tells the observer a holder let go of the locks it held, and
// returns how long it held them; known is false when that is not known
// (a hold stored before its start was kept).
func (m *Manager) released(holder string, held []domain.Token, now time.Time) (d time.Duration, known bool) {
	since, ok := m.holdSince[holder]
	delete(m.holdSince, holder)
	if !ok {
		return 0, false
	}
	d = now.Sub(since)
	if m.obs != nil {
		for _, t := range held {
			m.obs.Released(m.lock(t.Lock), d)
		}
	}
	return d, !m.hist.guessed[holder]
}

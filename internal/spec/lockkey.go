package spec

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

// LockKind is how a lock's limit is found; the kinds and the key's form
// are the domain package's.
type LockKind = domain.LockKind

// Lock kinds, spelled as in Argo's lock keys.
const (
	LockConfigMap = domain.LockConfigMap
	LockMutex     = domain.LockMutex
	LockDatabase  = domain.LockDatabase
	// LockDatabaseMutex is a database mutex: a key of its own, apart
	// from the database semaphore of the same name.
	LockDatabaseMutex = domain.LockDatabaseMutex
	// LockEngine is an engine-wide throttle (max running workflows), not
	// written in manifests; its limit travels in the ref.
	LockEngine = domain.LockEngine
)

// LockRef is one lock a synchronization block asks for.
type LockRef struct {
	Key       string   // Argo's lock key, e.g. default/ConfigMap/my-config/workflow
	Kind      LockKind // ConfigMap, Mutex, Database or DatabaseMutex
	Namespace string
	// For ConfigMap semaphores: where the limit lives.
	ConfigMap, ConfigMapKey string
	// For database locks: the key of the limit row (semaphores) or the
	// mutex name.
	DatabaseKey string
	// IsMutex is true for mutexes (limit 1, no ConfigMap).
	IsMutex bool
	// Field is the field path of the item within its block, e.g. "semaphores[0]".
	Field string
	// Limit is the limit of an engine throttle (Kind LockEngine).
	Limit int
}

// LockKeys lists the locks of a block in Argo's merge order (singular
// semaphore, singular mutex, then the lists), with namespace defaulted.
// Items that are incomplete are skipped; Validate reports them.
func LockKeys(s *wfv1.Synchronization, namespace string) []LockRef {
	if s == nil {
		return nil
	}
	var out []LockRef
	addSem := func(r *wfv1.SemaphoreRef, field string) {
		if r == nil {
			return
		}
		ns := orDefault(r.Namespace, namespace)
		switch {
		case r.ConfigMapKeyRef != nil && r.Database == nil && r.ConfigMapKeyRef.Name != "" && r.ConfigMapKeyRef.Key != "":
			out = append(out, LockRef{
				Key:  domain.LockKey{Namespace: ns, Kind: LockConfigMap, Name: r.ConfigMapKeyRef.Name, Key: r.ConfigMapKeyRef.Key}.String(),
				Kind: LockConfigMap, Namespace: ns, Field: field,
				ConfigMap: r.ConfigMapKeyRef.Name, ConfigMapKey: r.ConfigMapKeyRef.Key,
			})
		case r.Database != nil && r.ConfigMapKeyRef == nil && r.Database.Key != "":
			out = append(out, LockRef{Key: domain.LockKey{Namespace: ns, Kind: LockDatabase, Name: r.Database.Key}.String(),
				Kind: LockDatabase, Namespace: ns, DatabaseKey: r.Database.Key, Field: field})
		}
	}
	addMutex := func(m *wfv1.Mutex, field string) {
		if m == nil || m.Name == "" {
			return
		}
		ns := orDefault(m.Namespace, namespace)
		kind := LockMutex
		if m.Database {
			kind = LockDatabaseMutex
		}
		out = append(out, LockRef{Key: domain.LockKey{Namespace: ns, Kind: kind, Name: m.Name}.String(), Kind: kind,
			Namespace: ns, DatabaseKey: m.Name, IsMutex: true, Field: field})
	}
	eachLock(s, addSem, addMutex)
	return out
}

// eachLock calls sem and mutex on the entries of s in Argo's merge order
// (singular semaphore, singular mutex, then the lists), with each one's
// field path; entries may be nil.
func eachLock(s *wfv1.Synchronization, sem func(*wfv1.SemaphoreRef, string), mutex func(*wfv1.Mutex, string)) {
	sem(s.Semaphore, "semaphore")
	mutex(s.Mutex, "mutex")
	for i, r := range s.Semaphores {
		sem(r, fmt.Sprintf("semaphores[%d]", i))
	}
	for i, m := range s.Mutexes {
		mutex(m, fmt.Sprintf("mutexes[%d]", i))
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func isTemplated(s string) bool { return strings.Contains(s, "{{") }

func domainKey(ns string, kind LockKind, name string) string {
	return domain.LockKey{Namespace: ns, Kind: kind, Name: name}.String()
}

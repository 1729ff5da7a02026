package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadKey is wrapped by every parse error of this package, so callers
// can tell a malformed key from other failures.
var ErrBadKey = errors.New("malformed key")

// LockKind is how a lock's limit is found, spelled as in Argo's lock keys.
type LockKind string

// Lock kinds.
const (
	LockConfigMap LockKind = "ConfigMap"
	LockMutex     LockKind = "Mutex"
	LockDatabase  LockKind = "Database"
	// LockDatabaseMutex is a database mutex ({name, database: true}).
	// Argo keys it <ns>/Database/<name> in memory, the key of the
	// database semaphore of that name, though its database rows (mtx/
	// against sem/) and its limit (always 1) are the mutex's own; one
	// key for both let the mutex take the semaphore's limit.
	LockDatabaseMutex LockKind = "DatabaseMutex"
	// LockEngine is an engine-wide throttle (max running workflows), not
	// written in manifests.
	LockEngine LockKind = "Engine"
)

// LockKey is an Argo lock key taken apart: <ns>/ConfigMap/<name>/<key>,
// <ns>/Mutex/<name>, <ns>/Database/<key>, <ns>/DatabaseMutex/<name> or
// <ns>/Engine/<name>. The
// string form is what queues, the store and workflow statuses use; this
// form is for reading its parts.
type LockKey struct {
	Namespace string
	Kind      LockKind
	// Name is the ConfigMap's name, the mutex's name, the database key or
	// the throttle's name.
	Name string
	// Key is the ConfigMap key holding a semaphore's limit; "" for the
	// other kinds.
	Key string
}

const lockKeyForms = "want <ns>/ConfigMap/<name>/<key>, <ns>/Mutex/<name>, <ns>/Database/<key>, <ns>/DatabaseMutex/<name> or <ns>/Engine/<name>"

// ParseLockKey splits a lock key. Names and keys never hold '/' (spec
// checks them), so each part is exactly one segment.
func ParseLockKey(s string) (LockKey, error) {
	ns, rest, ok := strings.Cut(s, "/")
	kind, rest, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || ns == "" {
		return LockKey{}, fmt.Errorf("lock key %q: %w: %s", s, ErrBadKey, lockKeyForms)
	}
	k := LockKey{Namespace: ns, Kind: LockKind(kind)}
	switch k.Kind {
	case LockConfigMap:
		k.Name, k.Key, ok = strings.Cut(rest, "/")
		ok = ok && k.Key != "" && !strings.Contains(k.Key, "/")
	case LockMutex, LockDatabase, LockDatabaseMutex, LockEngine:
		k.Name, ok = rest, !strings.Contains(rest, "/")
	default:
		return LockKey{}, fmt.Errorf("lock key %q: %w: unknown kind %q, %s", s, ErrBadKey, kind, lockKeyForms)
	}
	if !ok || k.Name == "" {
		return LockKey{}, fmt.Errorf("lock key %q: %w: %s", s, ErrBadKey, lockKeyForms)
	}
	return k, nil
}

// String is the lock key.
func (k LockKey) String() string {
	if k.Kind == LockConfigMap {
		return k.Namespace + "/" + string(k.Kind) + "/" + k.Name + "/" + k.Key
	}
	return k.Namespace + "/" + string(k.Kind) + "/" + k.Name
}

// IsMutex says whether the kind is a mutex's, whose limit is always 1.
func (k LockKind) IsMutex() bool { return k == LockMutex || k == LockDatabaseMutex }

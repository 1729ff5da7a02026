package spec

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// syncForms is shown whenever a synchronization block cannot be understood.
const syncForms = `accepted forms: v3.6+ "semaphores: [{configMapKeyRef: {name: NAME, key: KEY}}]" ` +
	`and "mutexes: [{name: NAME}]", or the deprecated v3.5 "semaphore: {configMapKeyRef: {name: NAME, key: KEY}}" and "mutex: {name: NAME}"`

// checkSync validates one synchronization block and returns its locks.
// wfLocks, for a template's block, are the workflow-level locks, to find a
// template that waits for a lock its own workflow holds; sc is the
// template's scope (nil for the workflow-level block).
func (c *wfCtx) checkSync(s *wfv1.Synchronization, path string, wfLocks []LockRef, sc *scope) []LockRef {
	if s == nil {
		return nil
	}
	d := c.doc
	if s.Semaphore == nil && s.Mutex == nil && len(s.Semaphores) == 0 && len(s.Mutexes) == 0 {
		d.errorAt(path, "synchronization block names no lock; %s", syncForms)
		return nil
	}
	if s.Semaphore != nil {
		d.warnAt(path+".semaphore", "\"semaphore:\" is deprecated since Argo v3.6 (removed in v4.0): use \"semaphores: [...]\"")
	}
	if s.Mutex != nil {
		d.warnAt(path+".mutex", "\"mutex:\" is deprecated since Argo v3.6 (removed in v4.0): use \"mutexes: [...]\"")
	}
	c.checkSyncItems(s, path)
	c.checkSyncRefs(s, path, sc)
	locks := LockKeys(s, c.ns)
	seen := map[string]string{}
	for _, l := range locks {
		lp := path + "." + l.Field
		if first, dup := seen[l.Key]; dup {
			d.errorAt(lp, "lock %s is requested twice in one synchronization block (also at %s)", l.Key, first)
			continue
		}
		seen[l.Key] = l.Field
		switch {
		case l.Kind == LockConfigMap:
			c.checkLimit(l, lp)
		case isTemplated(l.Key):
		case l.Kind == LockDatabase:
			c.set.noteDBLock(l, c.doc, lp)
			c.checkDatabaseLimit(l, lp)
		case l.Kind == LockDatabaseMutex:
			c.set.noteDBLock(l, c.doc, lp)
		}
		c.checkSelfDeadlock(l, lp, wfLocks)
	}
	return locks
}

func (c *wfCtx) checkSyncItems(s *wfv1.Synchronization, path string) {
	d := c.doc
	checkSem := func(r *wfv1.SemaphoreRef, p string) {
		switch {
		case r == nil:
			d.errorAt(p, "empty semaphore; %s", syncForms)
		case r.ConfigMapKeyRef != nil && r.Database != nil:
			d.errorAt(p, "a semaphore takes configMapKeyRef or database, not both")
		case r.ConfigMapKeyRef == nil && r.Database == nil:
			d.errorAt(p, "a semaphore needs configMapKeyRef: {name, key} (or database: {key}); %s", syncForms)
		case r.ConfigMapKeyRef != nil:
			ref := r.ConfigMapKeyRef
			if ref.Name == "" {
				d.errorAt(p+".configMapKeyRef", "configMapKeyRef needs the name of the ConfigMap that holds the limit")
			}
			if ref.Key == "" {
				d.errorAt(p+".configMapKeyRef", "configMapKeyRef needs the key whose value is the limit")
			}
		case r.Database.Key == "":
			d.errorAt(p+".database", "database needs the key of the limit")
		}
	}
	checkMutex := func(m *wfv1.Mutex, p string) {
		if m == nil || m.Name == "" {
			d.errorAt(p, "a mutex needs a name")
		}
	}
	if s.Semaphore != nil {
		checkSem(s.Semaphore, path+".semaphore")
	}
	if s.Mutex != nil {
		checkMutex(s.Mutex, path+".mutex")
	}
	for i, r := range s.Semaphores {
		checkSem(r, fmt.Sprintf("%s.semaphores[%d]", path, i))
	}
	for i, m := range s.Mutexes {
		checkMutex(m, fmt.Sprintf("%s.mutexes[%d]", path, i))
	}
	// Literal names here; templated ones once substituted, by the engine.
	for _, f := range SyncStrings(s) {
		if v := *f.Value; v != "" && !isTemplated(v) {
			if err := CheckLockName(f.Field, v); err != nil {
				d.errorAt(path+"."+f.Field, "%v", err)
			}
		}
	}
}

// checkLimit checks a ConfigMap semaphore against the ConfigMap, when the
// ConfigMap is known.
func (c *wfCtx) checkLimit(l LockRef, path string) {
	if isTemplated(l.Key) {
		return
	}
	cm := c.set.ConfigMap(l.Namespace, l.ConfigMap)
	if cm == nil {
		where := "is not in the input"
		if c.set.Applied != nil {
			where = "is not applied"
		}
		c.doc.warnAt(path, "semaphore %s: ConfigMap %s/%s %s: apply it (with data key %q) before submitting",
			l.Key, l.Namespace, l.ConfigMap, where, l.ConfigMapKey)
		return
	}
	n, err := Limit(cm, l.ConfigMapKey)
	switch {
	case err != nil:
		c.doc.errorAt(path, "semaphore %s: %v", l.Key, err)
	case n == 0:
		c.doc.warnAt(path, "semaphore %s has limit 0 in ConfigMap %s/%s: nothing asking for it is granted until the limit is raised "+
			"(semaflow apply, or sync set)", l.Key, l.Namespace, l.ConfigMap)
	}
}

// Errors of Limit, for callers to tell a missing key from a bad value.
var (
	ErrNoLimitKey = errors.New("no key")
	ErrBadLimit   = errors.New("is not a non-negative integer")
)

// Limit reads a semaphore limit from a ConfigMap key: a non-negative
// integer.
func Limit(cm *wfv1.ConfigMap, key string) (int, error) {
	n, err := ParseLimit(cm.Data, key)
	if err != nil {
		return 0, fmt.Errorf("ConfigMap %s/%s %w", cm.Metadata.Namespace, cm.Metadata.Name, err)
	}
	return n, nil
}

// ParseLimit reads a limit from a ConfigMap's data. Errors never quote the
// value: the ConfigMap may hold secrets of a namespace the reader has no
// access to.
func ParseLimit(data map[string]string, key string) (int, error) {
	v, ok := data[key]
	if !ok {
		return 0, fmt.Errorf("has %w %q", ErrNoLimitKey, key)
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("key %q %w", key, ErrBadLimit)
	}
	return n, nil
}

// checkSelfDeadlock reports a template lock that the workflow itself
// already holds for its whole run.
func (c *wfCtx) checkSelfDeadlock(l LockRef, path string, wfLocks []LockRef) {
	for _, w := range wfLocks {
		if w.Key != l.Key || isTemplated(l.Key) {
			continue
		}
		if l.IsMutex {
			c.doc.errorAt(path, "self-deadlock: the workflow holds mutex %s for its whole run, so this template, "+
				"which asks for it too, can never get it", l.Key)
			return
		}
		limit := -1
		if l.Kind == LockConfigMap {
			if cm := c.set.ConfigMap(l.Namespace, l.ConfigMap); cm != nil {
				limit, _ = Limit(cm, l.ConfigMapKey)
			}
		}
		if limit == 1 {
			c.doc.errorAt(path, "self-deadlock: the workflow holds the only permit of semaphore %s, so this template, "+
				"which asks for it too, can never get it", l.Key)
		} else {
			c.doc.warnAt(path, "semaphore %s is taken at workflow level and again by this template: when its permits "+
				"are all held by workflows, their templates wait forever (self-deadlock)", l.Key)
		}
		return
	}
}

// DatabaseLimits is what a Lookup that sees the database also finds: a
// database semaphore's limit, set false when none is set.
type DatabaseLimits interface {
	DatabaseLimit(namespace, key string) (limit int, set bool)
}

// checkDatabaseLimit warns about a database semaphore whose limit is not
// set: everything asking for it would fail. Lint of files alone cannot
// see the database and says how to set it.
func (c *wfCtx) checkDatabaseLimit(l LockRef, path string) {
	how := fmt.Sprintf("semaflow sync set %s N", l.Key)
	db, ok := c.set.DBLimits, c.set.DBLimits != nil
	if !ok {
		db, ok = c.set.Applied.(DatabaseLimits)
	}
	if !ok {
		c.doc.warnAt(path, "database semaphore %s takes its limit from the database, which lint does not see: "+
			"unless it is set (`%s`), what asks for it fails", l.Key, how)
		return
	}
	n, set := db.DatabaseLimit(l.Namespace, l.DatabaseKey)
	switch {
	case !set:
		c.doc.warnAt(path, "database semaphore %s has no limit set: what asks for it fails until it is set (`%s`)", l.Key, how)
	case n == 0:
		c.doc.warnAt(path, "database semaphore %s has limit 0: nothing asking for it is granted until it is raised (`%s`)", l.Key, how)
	}
}

// dbSite is where a database lock is asked for.
type dbSite struct {
	doc  *Document
	path string
}

func (s dbSite) String() string {
	return fmt.Sprintf("%s:%d (%s)", s.doc.File, s.doc.PosOf(s.path).Line, s.path)
}

// dbUse is where one database name is used as a mutex and as a semaphore.
type dbUse struct{ mutex, sem *dbSite }

// noteDBLock records where a literal database lock is asked for, so that
// one name used as a database mutex and as a database semaphore is found
// across the set's documents.
func (s *Set) noteDBLock(l LockRef, d *Document, path string) {
	if s.dbLocks == nil {
		s.dbLocks = map[string]*dbUse{}
	}
	name := l.Namespace + "/" + l.DatabaseKey
	u := s.dbLocks[name]
	if u == nil {
		u = &dbUse{}
		s.dbLocks[name] = u
	}
	site := &dbSite{doc: d, path: path}
	switch {
	case l.Kind == LockDatabaseMutex && u.mutex == nil:
		u.mutex = site
	case l.Kind == LockDatabase && u.sem == nil:
		u.sem = site
	}
}

// checkDatabaseNames refuses a name used both as a database mutex and as
// a database semaphore. They are two locks (Argo's database keeps them
// apart too): the mutex never takes the semaphore's limit, and its
// holders never count against it, which is rarely what was meant.
func (s *Set) checkDatabaseNames() {
	for _, name := range slices.Sorted(maps.Keys(s.dbLocks)) {
		u := s.dbLocks[name]
		if u.mutex == nil || u.sem == nil {
			continue
		}
		ns, key, _ := strings.Cut(name, "/")
		u.mutex.doc.errorAt(u.mutex.path, "%q is a database mutex here and a database semaphore at %s: "+
			"they are two locks, %s and %s, that never exclude each other; rename one",
			key, u.sem, domainKey(ns, LockDatabaseMutex, key), domainKey(ns, LockDatabase, key))
	}
}

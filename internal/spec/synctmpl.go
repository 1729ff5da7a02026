package spec

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// SyncString is one string of a synchronization block that names a lock
// (a mutex name, a ConfigMap name or key, a database key, a namespace),
// with its field path inside the block, e.g. "mutexes[0].name".
type SyncString struct {
	Field string
	Value *string
}

// SyncStrings lists the strings of s that name its locks, pointing into s.
func SyncStrings(s *wfv1.Synchronization) []SyncString {
	if s == nil {
		return nil
	}
	var out []SyncString
	sem := func(r *wfv1.SemaphoreRef, field string) {
		if r == nil {
			return
		}
		if r.ConfigMapKeyRef != nil {
			out = append(out, SyncString{field + ".configMapKeyRef.name", &r.ConfigMapKeyRef.Name},
				SyncString{field + ".configMapKeyRef.key", &r.ConfigMapKeyRef.Key})
		}
		if r.Database != nil {
			out = append(out, SyncString{field + ".database.key", &r.Database.Key})
		}
		out = append(out, SyncString{field + ".namespace", &r.Namespace})
	}
	mutex := func(m *wfv1.Mutex, field string) {
		if m != nil {
			out = append(out, SyncString{field + ".name", &m.Name}, SyncString{field + ".namespace", &m.Namespace})
		}
	}
	eachLock(s, sem, mutex)
	return out
}

// SyncTemplated says whether a lock name of s holds a {{...}} reference.
func SyncTemplated(s *wfv1.Synchronization) bool {
	for _, f := range SyncStrings(s) {
		if isTemplated(*f.Value) {
			return true
		}
	}
	return false
}

// CloneSync deep-copies a block, so its names can be substituted without
// touching the spec it came from.
func CloneSync(s *wfv1.Synchronization) *wfv1.Synchronization {
	if s == nil {
		return nil
	}
	sem := func(r *wfv1.SemaphoreRef) *wfv1.SemaphoreRef {
		if r == nil {
			return nil
		}
		c := *r
		if r.ConfigMapKeyRef != nil {
			ref := *r.ConfigMapKeyRef
			c.ConfigMapKeyRef = &ref
		}
		if r.Database != nil {
			db := *r.Database
			c.Database = &db
		}
		return &c
	}
	mutex := func(m *wfv1.Mutex) *wfv1.Mutex {
		if m == nil {
			return nil
		}
		c := *m
		return &c
	}
	out := &wfv1.Synchronization{Semaphore: sem(s.Semaphore), Mutex: mutex(s.Mutex)}
	for _, r := range s.Semaphores {
		out.Semaphores = append(out.Semaphores, sem(r))
	}
	for _, m := range s.Mutexes {
		out.Mutexes = append(out.Mutexes, mutex(m))
	}
	return out
}

// CheckResolvedSync reports a lock name that is still templated, empty or
// (for ConfigMap names and keys) holds a '/' after substitution; path is
// the block's field path. Such a name would make every workflow share one
// literal lock, or silently drop it.
func CheckResolvedSync(s *wfv1.Synchronization, path string) error {
	for _, f := range SyncStrings(s) {
		v := *f.Value
		switch {
		case isTemplated(v):
			return fmt.Errorf("%s.%s: %q still holds a reference after substitution", path, f.Field, v)
		case v == "" && !strings.HasSuffix(f.Field, ".namespace"):
			return fmt.Errorf("%s.%s: the lock name resolves to an empty string", path, f.Field)
		}
		if err := CheckLockName(f.Field, v); err != nil {
			return fmt.Errorf("%s.%s: %w", path, f.Field, err)
		}
	}
	return nil
}

// lockScopeNames are the names a lock name may use at workflow level; they
// are known before the workflow runs (Argo substitutes the workflow-level
// block with the global parameters).
var lockScopeNames = map[string]bool{
	"workflow.name": true, "workflow.namespace": true, "workflow.uid": true,
	"workflow.serviceAccountName": true, "workflow.priority": true, "workflow.mainEntrypoint": true,
	"workflow.creationTimestamp": true, "workflow.creationTimestamp.RFC3339": true, "workflow.creationTimestamp.s": true,
	"workflow.parameters.json": true,
}

const lockScopeHelp = "lock names may use workflow.name, workflow.namespace, workflow.uid, workflow.parameters.NAME, " +
	"workflow.labels.NAME, workflow.annotations.NAME, workflow.creationTimestamp and, in a template, inputs.parameters.NAME"

// checkSyncRefs checks the {{...}} references of a block's lock names: sc
// is the template's scope, nil for the workflow-level block.
func (c *wfCtx) checkSyncRefs(s *wfv1.Synchronization, path string, sc *scope) {
	for _, f := range SyncStrings(s) {
		if !isTemplated(*f.Value) {
			continue
		}
		fp := path + "." + f.Field
		for _, m := range tagPattern.FindAllStringSubmatch(*f.Value, -1) {
			tag := strings.TrimSpace(m[1])
			if code, ok := strings.CutPrefix(tag, "="); ok {
				if sc != nil {
					sc.checkExprRefs(fp, code)
				} else if strings.Contains(code, "inputs.") {
					c.doc.errorAt(fp, "{{%s}}: a workflow-level lock has no inputs; %s", tag, lockScopeHelp)
				}
				continue
			}
			c.checkLockTag(fp, tag, sc)
		}
	}
}

func (c *wfCtx) checkLockTag(path, tag string, sc *scope) {
	switch {
	case lockScopeNames[tag]:
	case strings.HasPrefix(tag, "workflow.parameters."):
		name := strings.TrimPrefix(tag, "workflow.parameters.")
		if c.globals != nil && !c.globals[name] {
			c.doc.errorAt(path, "{{%s}} refers to workflow parameter %q, which spec.arguments.parameters does not declare%s",
				tag, name, didYouMean(name, c.globals))
		}
	case strings.HasPrefix(tag, "workflow.labels."):
		if name := strings.TrimPrefix(tag, "workflow.labels."); c.metaKnown() && !hasKey(c.doc.Workflow.Metadata.Labels, name) {
			c.doc.errorAt(path, "{{%s}} refers to label %q, which metadata.labels does not set", tag, name)
		}
	case strings.HasPrefix(tag, "workflow.annotations."):
		if name := strings.TrimPrefix(tag, "workflow.annotations."); c.metaKnown() && !hasKey(c.doc.Workflow.Metadata.Annotations, name) {
			c.doc.errorAt(path, "{{%s}} refers to annotation %q, which metadata.annotations does not set", tag, name)
		}
	case strings.HasPrefix(tag, "inputs.parameters.") && sc != nil:
		sc.checkInput(path, strings.TrimPrefix(tag, "inputs.parameters."), "{{"+tag+"}}")
	case strings.HasPrefix(tag, "inputs."):
		c.doc.errorAt(path, "{{%s}}: a workflow-level lock is taken before any template runs, so it has no inputs; %s", tag, lockScopeHelp)
	default:
		c.doc.errorAt(path, "{{%s}} is not known when the lock is taken; %s", tag, lockScopeHelp)
	}
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// metaKnown says whether the document's labels and annotations are those
// the workflow will run with (a Workflow not built from a template).
func (c *wfCtx) metaKnown() bool { return c.doc.Workflow != nil && c.globals != nil }

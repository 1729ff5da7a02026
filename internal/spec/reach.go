package spec

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// LockUse is one lock a document may take, for access checks: the lock's
// key and namespace, and where it is named. Templated is set when the
// namespace is a {{...}} reference other than {{workflow.namespace}}, so
// cannot be known before the workflow runs.
type LockUse struct {
	Key, Namespace, Field string
	Templated             bool
}

// DocLocks lists every lock a Workflow, WorkflowTemplate or CronWorkflow
// may take: its own blocks (workflow, templates, templateDefaults, inline
// templates) and those of the templates it refers to (workflowTemplateRef,
// templateRef; all templates of each, found through lookup). A lock with
// no namespace is in the document's.
func DocLocks(d *Document, lookup Lookup) []LockUse {
	ws := d.Spec()
	if ws == nil {
		return nil
	}
	w := &lockWalker{ns: d.Namespace(), lookup: lookup, seen: map[string]bool{}}
	w.spec(ws, d.specPath())
	return w.out
}

type lockWalker struct {
	ns     string
	lookup Lookup
	seen   map[string]bool // referenced templates already walked
	out    []LockUse
}

func (w *lockWalker) spec(s *wfv1.WorkflowSpec, path string) {
	w.block(s.Synchronization, path+".synchronization")
	if s.TemplateDefaults != nil {
		w.template(s.TemplateDefaults, path+".templateDefaults")
	}
	for i := range s.Templates {
		w.template(&s.Templates[i], fmt.Sprintf("%s.templates[%d]", path, i))
	}
	if ref := s.WorkflowTemplateRef; ref != nil {
		w.ref(ref.Name, ref.ClusterScope)
	}
	for _, h := range s.Hooks {
		w.tref(h.TemplateRef)
	}
}

func (w *lockWalker) template(t *wfv1.Template, path string) {
	w.block(t.Synchronization, path+".synchronization")
	for gi, g := range t.Steps {
		for si := range g {
			st := &g[si]
			if st.Inline != nil {
				w.template(st.Inline, fmt.Sprintf("%s.steps[%d][%d].inline", path, gi, si))
			}
			w.tref(st.TemplateRef)
			for _, h := range st.Hooks {
				w.tref(h.TemplateRef)
			}
		}
	}
	if t.DAG != nil {
		for i := range t.DAG.Tasks {
			task := &t.DAG.Tasks[i]
			if task.Inline != nil {
				w.template(task.Inline, fmt.Sprintf("%s.dag.tasks[%d].inline", path, i))
			}
			w.tref(task.TemplateRef)
			for _, h := range task.Hooks {
				w.tref(h.TemplateRef)
			}
		}
	}
}

func (w *lockWalker) tref(r *wfv1.TemplateRef) {
	if r != nil {
		w.ref(r.Name, r.ClusterScope)
	}
}

// ref walks a referenced (Cluster)WorkflowTemplate once; its locks run in
// the workflow's namespace, as reconcile takes them.
func (w *lockWalker) ref(name string, cluster bool) {
	key := tplKind(cluster) + " " + name
	if w.lookup == nil || name == "" || isTemplated(name) || w.seen[key] {
		return
	}
	w.seen[key] = true
	if t := w.lookup.WorkflowTemplate(w.ns, name, cluster); t != nil {
		w.spec(&t.Spec, key+": spec")
	}
}

func (w *lockWalker) block(s *wfv1.Synchronization, path string) {
	if s == nil {
		return
	}
	templated := map[string]bool{} // item field -> namespace unknown
	for _, f := range SyncStrings(s) {
		item, ok := strings.CutSuffix(f.Field, ".namespace")
		if !ok || !isTemplated(*f.Value) {
			continue
		}
		if v := strings.ReplaceAll(*f.Value, " ", ""); v != "{{workflow.namespace}}" {
			w.out = append(w.out, LockUse{Key: *f.Value, Field: path + "." + f.Field, Templated: true})
			templated[item] = true
		}
	}
	c := CloneSync(s)
	for _, f := range SyncStrings(c) {
		if strings.HasSuffix(f.Field, ".namespace") && isTemplated(*f.Value) {
			*f.Value = w.ns
		}
	}
	for _, l := range LockKeys(c, w.ns) {
		if !templated[l.Field] {
			w.out = append(w.out, LockUse{Key: l.Key, Namespace: l.Namespace, Field: path + "." + l.Field})
		}
	}
}

package spec

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// The lock-acquisition graph of a Set: every way a run can hold one lock
// while it asks for another. It is walked from each workflow's entry
// (with its workflow-level locks held for the whole run) down through
// steps, DAG tasks, inline templates, templateRef and workflowTemplateRef,
// across the documents of the set and the templates Applied finds (a
// server's). A steps or DAG template holds its locks until everything it
// calls has run, so a lock asked for below it is taken while it is held.
// The walk reports locks taken again below their holder (self-deadlock),
// and records each "held A, asked for B" with where it happens, for
// lockorder.go to find the same pair taken in the opposite order.

// Bounds of the walk, for the whole set (every document and file of one
// lint together, so that a server answering a lint or a submit spends a
// bounded time and memory whatever it is sent): a recursive template
// stops at its second entry on one path; the walk stops at lgMaxFrames
// templates visited, at lgMaxWork units of work (a lock asked for while
// another is held, a comparison of two paths) and at lgMaxEdges paths
// recorded. Each document walks within an equal share of what is left
// of these when its turn comes, so one large document cannot starve the
// others. None of them depends on the clock: the same input says the
// same thing. Paths share their prefixes (lgTrail, lgHeldNode), so a
// template visited costs what it adds, not a copy of its path. A set of
// ordinary size meets none of these; a warning says when one was met.
const (
	lgMaxDepth  = 64
	lgMaxFrames = 20000
	lgMaxWork   = 2_000_000
	lgMaxEdges  = 50_000
	// lgMaxReports caps the lock-order findings reported for one set;
	// a warning counts the rest.
	lgMaxReports = 100
)

// lgSpec is one WorkflowSpec the walk enters: of a document in the set,
// or of a template found only through Applied (doc nil).
type lgSpec struct {
	id    string
	doc   *Document
	spec  *wfv1.WorkflowSpec
	path  string // field path of the spec in doc
	label string // how to name it when doc is nil
	index map[string]int
}

// lgLoc is a place a lock is held or asked for.
type lgLoc struct {
	sp   *lgSpec
	path string
}

// String renders a place as file:line (field path), or names the applied
// template it is in.
func (l lgLoc) String() string {
	if l.sp.doc == nil {
		return l.sp.label + " " + l.path
	}
	p := l.sp.doc.PosOf(l.path)
	return fmt.Sprintf("%s:%d (%s)", l.sp.doc.File, p.Line, l.path)
}

// lgHeld is one lock held on the current path.
type lgHeld struct {
	key   string
	mutex bool
	limit int // -1: unknown
	at    lgLoc
	tmpl  string // the template holding it; "" for the workflow level
}

// lgSite is one call on a path: the template it is made from, and what
// decides whether two calls of that template run at once.
type lgSite struct {
	spec   string
	tmpl   string
	group  int    // steps group, -1 for a DAG task
	step   int    // index in the group
	task   string // DAG task name
	hook   string // "onExit" or "hooks.<name>" for a step's or task's handler
	dag    *wfv1.DAGTemplate
	loop   bool
	label  string // the called template's name, for messages
	callee string // the called template's spec id and path
}

// lgRoot is where a walk starts: run says which run of which workflow it
// is (two roots of one run never run at once: entry and exit handler).
type lgRoot struct {
	run, part, label string
	tmpl             string // the first template's spec id and path
	first            string // its name
	doc              *Document
	noEdges          bool // record no "held A, asked for B"
}

// lgTrail is one call of a path, linked to the call before it: the
// paths of one walk share their common prefix.
type lgTrail struct {
	site   lgSite
	parent *lgTrail
	depth  int // 1 for a call from the first template
}

func (t *lgTrail) len() int {
	if t == nil {
		return 0
	}
	return t.depth
}

// sites lists a trail's calls, first call first.
func (t *lgTrail) sites() []lgSite {
	out := make([]lgSite, t.len())
	for i := len(out) - 1; t != nil; i, t = i-1, t.parent {
		out[i] = t.site
	}
	return out
}

// lgHeldNode is one lock held on a path, linked to the one held before
// it (nil: nothing held).
type lgHeldNode struct {
	h      lgHeld
	parent *lgHeldNode
}

// lgEdge records "held A, then asked for B" on one path.
type lgEdge struct {
	from  *lgHeld
	to    *lgHeld // the lock asked for, where
	root  *lgRoot
	trail *lgTrail
	held  *lgHeldNode // everything held when B was asked for
}

type lockGraph struct {
	set      *Set
	specs    map[string]*lgSpec
	docOf    map[*wfv1.WorkflowTemplate]*Document
	edges    map[[2]string][]*lgEdge
	reported map[string]bool
	// reached are the templates walked from an entry, by spec id and path.
	reached map[string]bool
	// frames, work and nEdges count what the whole set used of the
	// bounds; frameCap and workCap end the current document's share.
	frames, work, nEdges int
	frameCap, workCap    int
	cur                  *Document
	// stopped is the first document whose walk was cut, cut how many
	// were; stoppedWhy says which bound.
	stopped    *Document
	cut        int
	stoppedWhy string
	cutCur     bool
	// reports counts the findings reported, dropped those left out.
	reports, dropped int
	// gate is scratch space for gated.
	gate map[string]lgGate
}

// lgMaxWitnesses bounds the paths kept for one ordered pair of locks.
const lgMaxWitnesses = 16

// checkLockGraph builds the graph of the whole set and reports what it
// finds on the documents concerned.
func (s *Set) checkLockGraph() {
	g := &lockGraph{set: s, specs: map[string]*lgSpec{}, docOf: map[*wfv1.WorkflowTemplate]*Document{},
		edges: map[[2]string][]*lgEdge{}, reported: map[string]bool{}, reached: map[string]bool{}, gate: map[string]lgGate{}}
	var docs []*Document
	for _, f := range s.Files {
		for _, d := range f.Docs {
			if d.Template != nil {
				g.docOf[d.Template] = d
			}
			if d.Spec() != nil {
				docs = append(docs, d)
			}
		}
	}
	for i, d := range docs {
		left := len(docs) - i
		g.frameCap = g.frames + (lgMaxFrames-g.frames)/left
		g.workCap = g.work + (lgMaxWork-g.work)/left
		g.walkDoc(d)
	}
	// Comparing paths spends what the walks left; a stop there is said
	// on the first document.
	g.frameCap, g.workCap = lgMaxFrames, lgMaxWork
	if len(docs) > 0 {
		g.cur, g.cutCur = docs[0], g.stopped != nil
	}
	g.reportInversions()
	if len(docs) > 0 {
		g.reportCycles(docs[0])
	}
	if g.stopped != nil {
		g.stopped.warnAt(g.stopped.specPath(), "the lock-order check stopped (%s; its bounds are for one lint as a whole) in %d %s, this one first: "+
			"deadlocks beyond it are not looked for, and the engine's deadlock detector remains", g.stoppedWhy, g.cut, plural(g.cut, "document", "documents"))
	}
	if g.dropped > 0 && len(docs) > 0 {
		docs[0].warnAt(docs[0].specPath(), "%d more lock-order findings are not shown (at most %d are reported at once)", g.dropped, lgMaxReports)
	}
	if lgObserve != nil {
		lgObserve(g.frames, g.work, g.nEdges)
	}
}

// lgObserve, when set (by tests), is told what one lint used of the
// bounds.
var lgObserve func(frames, work, edges int)

// stop records that a bound cut the walk (why names it, with bound).
func (g *lockGraph) stop(why string, bound int) {
	if g.cutCur {
		return
	}
	g.cutCur = true
	g.cut++
	if g.stopped == nil {
		g.stopped, g.stoppedWhy = g.cur, fmt.Sprintf(why, bound)
	}
}

// spend charges n units of work; false once the share is used up.
func (g *lockGraph) spend(n int) bool {
	if g.work+n > g.workCap {
		g.stop("after %d units of work", lgMaxWork)
		return false
	}
	g.work += n
	return true
}

// report says whether one more finding may be reported.
func (g *lockGraph) report() bool {
	if g.reports >= lgMaxReports {
		g.dropped++
		return false
	}
	g.reports++
	return true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (g *lockGraph) specOfDoc(d *Document) *lgSpec {
	id := fmt.Sprintf("%s#%d", d.File, d.Index)
	if sp := g.specs[id]; sp != nil {
		return sp
	}
	sp := &lgSpec{id: id, doc: d, spec: d.Spec(), path: d.specPath(), index: templateIndex(d.Spec())}
	g.specs[id] = sp
	return sp
}

// specOfRef finds a referenced (Cluster)WorkflowTemplate: a document of
// the set when it is one, else what Applied holds.
func (g *lockGraph) specOfRef(ns, name string, cluster bool) *lgSpec {
	if name == "" || isTemplated(name) {
		return nil
	}
	t := g.set.WorkflowTemplate(ns, name, cluster)
	if t == nil {
		return nil
	}
	if d := g.docOf[t]; d != nil {
		return g.specOfDoc(d)
	}
	label := tplKind(cluster) + " " + name
	if !cluster {
		label = tplKind(cluster) + " " + ns + "/" + name
	}
	id := "applied " + label
	if sp := g.specs[id]; sp != nil {
		return sp
	}
	sp := &lgSpec{id: id, spec: &t.Spec, path: "spec", label: label + " (applied)", index: templateIndex(&t.Spec)}
	g.specs[id] = sp
	return sp
}

func templateIndex(s *wfv1.WorkflowSpec) map[string]int {
	m := make(map[string]int, len(s.Templates))
	for i := range s.Templates {
		if _, dup := m[s.Templates[i].Name]; !dup {
			m[s.Templates[i].Name] = i
		}
	}
	return m
}

// walkDoc walks one Workflow, CronWorkflow or WorkflowTemplate. A
// workflow starts at its entrypoint (and exit handler) with its
// workflow-level locks held; every template is also walked on its own,
// holding nothing, so a template no entry reaches is still checked, and
// each template of a library may be called by any workflow.
func (g *lockGraph) walkDoc(d *Document) {
	g.cur, g.cutCur = d, false
	sp := g.specOfDoc(d)
	ns := d.Namespace()
	run := sp.id
	name := d.Kind + " " + d.Name
	entrySpec, wfSync := sp, sp.spec.Synchronization
	if ref := sp.spec.WorkflowTemplateRef; ref != nil {
		if rs := g.specOfRef(ns, ref.Name, ref.ClusterScope); rs != nil {
			entrySpec = rs
			if wfSync == nil {
				wfSync = rs.spec.Synchronization
			}
		}
	}
	if d.Template == nil || entrySpec.spec.Entrypoint != "" {
		var held *lgHeldNode
		syncPath := sp.path + ".synchronization"
		if sp.spec.Synchronization == nil && entrySpec != sp {
			syncPath = entrySpec.path + ".synchronization"
		}
		at := sp
		if sp.spec.Synchronization == nil {
			at = entrySpec
		}
		for _, l := range LockKeys(wfSync, ns) {
			if isTemplated(l.Key) {
				continue
			}
			held = &lgHeldNode{h: lgHeld{key: l.Key, mutex: l.IsMutex, limit: g.limitOf(l), at: lgLoc{at, syncPath + "." + l.Field}}, parent: held}
		}
		ep := sp.spec.Entrypoint
		if ep == "" {
			ep = entrySpec.spec.Entrypoint
		}
		exit := sp.spec.OnExit
		if exit == "" {
			exit = entrySpec.spec.OnExit
		}
		// hooks.exit is an exit handler too; other workflow hooks run
		// beside the entry (walked as parts of their own).
		parts := []struct{ part, tmpl string }{{"entry", ep}, {"exit", exit}}
		hooks := sp.spec.Hooks
		if len(hooks) == 0 {
			hooks = entrySpec.spec.Hooks
		}
		for _, name := range sortedKeys(hooks) {
			part := "hook " + name
			if name == "exit" {
				part = "exit"
			}
			if t := hooks[name].Template; t != "" && t != exit {
				parts = append(parts, struct{ part, tmpl string }{part, t})
			}
		}
		for _, c := range parts {
			if i, ok := entrySpec.index[c.tmpl]; ok && c.tmpl != "" {
				tp := fmt.Sprintf("%s.templates[%d]", entrySpec.path, i)
				root := &lgRoot{run: run, part: c.part, label: name, tmpl: entrySpec.id + "|" + tp, first: c.tmpl, doc: d}
				g.walk(entrySpec, &entrySpec.spec.Templates[i], tp, ns, root, held, nil, 0)
			}
		}
	}
	for i := range sp.spec.Templates {
		t := &sp.spec.Templates[i]
		tp := fmt.Sprintf("%s.templates[%d]", sp.path, i)
		// A template its entry reaches was checked as the run takes it,
		// in a WorkflowTemplate as in a Workflow: the same severity for
		// the same spec.
		if g.reached[sp.id+"|"+tp] {
			continue
		}
		root := &lgRoot{run: run, part: "template " + t.Name, label: name, tmpl: sp.id + "|" + tp, first: t.Name, doc: d}
		if d.Template != nil {
			// Any workflow may call a library's template: each is a run
			// of its own.
			root.run = run + " " + t.Name
			root.label = fmt.Sprintf("%s template %q", name, t.Name)
		} else {
			// A template of a workflow that its entry never reaches:
			// checked for locks taken again below their holder only, as
			// what it would hold above is unknown.
			root.noEdges = true
		}
		g.walk(sp, t, tp, ns, root, nil, nil, 0)
	}
}

// limitOf is a semaphore's limit when the set or Applied knows it, 1 for
// a mutex, else -1.
func (g *lockGraph) limitOf(l LockRef) int {
	switch {
	case l.IsMutex:
		return 1
	case l.Kind == LockConfigMap:
		if cm := g.set.ConfigMap(l.Namespace, l.ConfigMap); cm != nil {
			if n, err := Limit(cm, l.ConfigMapKey); err == nil {
				return n
			}
		}
	}
	return -1
}

// locksOf lists the literal locks a template asks for, with where each
// is written (its own block, or its spec's templateDefaults).
func (g *lockGraph) locksOf(sp *lgSpec, t *wfv1.Template, path, ns string) []lgHeld {
	var defaults *wfv1.Synchronization
	if sp.spec.TemplateDefaults != nil {
		defaults = sp.spec.TemplateDefaults.Synchronization
	}
	var out []lgHeld
	for _, l := range LockKeys(mergeSync(defaults, t.Synchronization), ns) {
		if isTemplated(l.Key) {
			continue
		}
		p := path + ".synchronization." + l.Field
		if !ownsSyncField(t.Synchronization, l.Field) {
			p = sp.path + ".templateDefaults.synchronization." + l.Field
		}
		out = append(out, lgHeld{key: l.Key, mutex: l.IsMutex, limit: g.limitOf(l), at: lgLoc{sp, p}, tmpl: t.Name})
	}
	return out
}

// ownsSyncField says whether a template's own block holds the item at
// field (else it came from templateDefaults).
func ownsSyncField(own *wfv1.Synchronization, field string) bool {
	if own == nil {
		return false
	}
	switch {
	case strings.HasPrefix(field, "mutexes["):
		return len(own.Mutexes) > 0
	case strings.HasPrefix(field, "semaphores["):
		return len(own.Semaphores) > 0
	case field == "semaphore":
		return own.Semaphore != nil
	}
	return own.Mutex != nil
}

// walk visits template t, called along trail with held held.
func (g *lockGraph) walk(sp *lgSpec, t *wfv1.Template, path, ns string, root *lgRoot, held *lgHeldNode, trail *lgTrail, depth int) {
	if depth > lgMaxDepth {
		return
	}
	if g.frames >= g.frameCap {
		g.stop("after %d templates visited", lgMaxFrames)
		return
	}
	g.frames++
	g.reached[sp.id+"|"+path] = true
	asks := g.locksOf(sp, t, path, ns)
	for i := range asks {
		a := &asks[i]
		n := 0
		for h := held; h != nil; h = h.parent {
			n++
		}
		if !g.spend(1 + n) {
			return
		}
		g.checkAgain(sp, t, *a, held)
		if root.noEdges {
			continue
		}
		for h := held; h != nil; h = h.parent {
			if h.h.key != a.key {
				g.addEdge(&h.h, a, root, trail, held)
			}
		}
	}
	// A template entered again on its own path is recursion: its locks
	// were checked above, and below it is what was walked the first time.
	if trail != nil {
		self := trail.site.callee
		if root.tmpl == self {
			return
		}
		for x := trail.parent; x != nil; x = x.parent {
			if x.site.callee == self {
				return
			}
		}
	}
	for i := range asks {
		held = &lgHeldNode{h: asks[i], parent: held}
	}
	call := func(site lgSite, name string, ref *wfv1.TemplateRef, inline *wfv1.Template, callPath string) {
		csp, ct, cpath := g.resolveCall(sp, ns, name, ref, inline, callPath)
		if ct == nil {
			return
		}
		site.label, site.callee = ct.Name, csp.id+"|"+cpath
		next := &lgTrail{site: site, parent: trail, depth: trail.len() + 1}
		g.walk(csp, ct, cpath, ns, root, held, next, depth+1)
	}
	// A step's or task's onExit and hooks run under the same caller, so
	// with the same locks held, beside (or right after) the step.
	handlers := func(site lgSite, onExit string, hooks map[string]wfv1.LifecycleHook, callPath string) {
		if onExit != "" {
			site.hook = "onExit"
			call(site, onExit, nil, nil, callPath+".onExit")
		}
		for _, name := range sortedKeys(hooks) {
			h := hooks[name]
			site.hook = "hooks." + name
			call(site, h.Template, h.TemplateRef, nil, callPath+".hooks."+name)
		}
	}
	for gi, group := range t.Steps {
		for si := range group {
			st := &group[si]
			site := lgSite{spec: sp.id, tmpl: path, group: gi, step: si, loop: hasLoop(st.WithItems, st.WithParam, st.WithSequence)}
			sPath := fmt.Sprintf("%s.steps[%d][%d]", path, gi, si)
			call(site, st.Template, st.TemplateRef, st.Inline, sPath)
			handlers(site, st.OnExit, st.Hooks, sPath)
		}
	}
	if t.DAG != nil {
		for ti := range t.DAG.Tasks {
			task := &t.DAG.Tasks[ti]
			site := lgSite{spec: sp.id, tmpl: path, group: -1, task: task.Name, dag: t.DAG, loop: hasLoop(task.WithItems, task.WithParam, task.WithSequence)}
			tPath := fmt.Sprintf("%s.dag.tasks[%d]", path, ti)
			call(site, task.Template, task.TemplateRef, task.Inline, tPath)
			handlers(site, task.OnExit, task.Hooks, tPath)
		}
	}
}

// resolveCall finds the template a step or task runs. A name with
// {{...}} is chosen at run time: the engine's detector covers it.
func (g *lockGraph) resolveCall(sp *lgSpec, ns, name string, ref *wfv1.TemplateRef, inline *wfv1.Template, callPath string) (*lgSpec, *wfv1.Template, string) {
	switch {
	case inline != nil:
		return sp, inline, callPath + ".inline"
	case name != "" && !isTemplated(name):
		if i, ok := sp.index[name]; ok {
			return sp, &sp.spec.Templates[i], fmt.Sprintf("%s.templates[%d]", sp.path, i)
		}
	case ref != nil && !isTemplated(ref.Template):
		if rs := g.specOfRef(ns, ref.Name, ref.ClusterScope); rs != nil {
			if i, ok := rs.index[ref.Template]; ok {
				return rs, &rs.spec.Templates[i], fmt.Sprintf("%s.templates[%d]", rs.path, i)
			}
		}
	}
	return nil, nil, ""
}

// addEdge records that from was held while to was asked for, unless
// the pair has its witnesses already or the set its edges.
func (g *lockGraph) addEdge(from, to *lgHeld, root *lgRoot, trail *lgTrail, held *lgHeldNode) {
	pair := [2]string{from.key, to.key}
	es := g.edges[pair]
	if len(es) >= lgMaxWitnesses {
		return
	}
	if g.nEdges >= lgMaxEdges {
		g.stop("after %d paths recorded", lgMaxEdges)
		return
	}
	g.nEdges++
	g.edges[pair] = append(es, &lgEdge{from: from, to: to, root: root, trail: trail, held: held})
}

// checkAgain reports a lock asked for below a node that already holds
// it: a mutex always waits forever there; a semaphore does when the
// permits held above it are all it has. What checkSelfDeadlock already
// says (the workflow's own lock asked for by a template of the same
// spec) is not said again.
func (g *lockGraph) checkAgain(sp *lgSpec, t *wfv1.Template, a lgHeld, held *lgHeldNode) {
	var same []lgHeld
	for h := held; h != nil; h = h.parent {
		if h.h.key == a.key {
			same = append([]lgHeld{h.h}, same...)
		}
	}
	if len(same) == 0 || sp.doc == nil {
		return
	}
	fresh := false
	for _, h := range same {
		if h.tmpl != "" || h.at.sp != sp {
			fresh = true
		}
	}
	if !fresh {
		return
	}
	id := a.at.sp.id + "|" + a.at.path + "|" + a.key
	if g.reported[id] {
		return
	}
	switch {
	case a.mutex:
		g.reported[id] = true
		if !g.report() {
			return
		}
		h := same[0]
		holder := fmt.Sprintf("template %q", h.tmpl)
		if h.tmpl == "" {
			holder = "the workflow"
		}
		sp.doc.errorAt(a.at.path, "self-deadlock: %s holds mutex %s while everything it calls runs (%s), "+
			"and template %q, which runs inside it, asks for it too: it waits forever", holder, a.key, h.at, t.Name)
	case a.limit != 0 && (a.limit < 0 || len(same) < a.limit):
		// One run gets the permit, but runs at once can take every
		// permit between them, each short of one more. (Said once per
		// semaphore and spec: a deeper nesting may yet be an error.)
		wid := "nested|" + sp.id + "|" + a.key
		if g.reported[wid] {
			return
		}
		g.reported[wid] = true
		if !g.report() {
			return
		}
		var where []string
		for _, h := range same {
			where = append(where, h.at.String())
		}
		runs := "enough runs"
		if a.limit > 0 {
			runs = fmt.Sprintf("%d runs", (a.limit+len(same)-1)/len(same))
		}
		sp.doc.warnAt(a.at.path, "semaphore %s is asked for again by template %q while %d of its permits are held above it (%s): "+
			"%s at once can hold every permit between them and each wait forever for one more (deadlock); "+
			"take it once per run, or give the inner step a lock of its own", a.key, t.Name, len(same), strings.Join(where, ", "), runs)
	case a.limit > 0 && len(same) >= a.limit:
		g.reported[id] = true
		if !g.report() {
			return
		}
		var where []string
		for _, h := range same {
			where = append(where, h.at.String())
		}
		sp.doc.errorAt(a.at.path, "self-deadlock: semaphore %s has limit %d, and %d of its permits are held above template %q (%s) "+
			"while it runs, so it can never get one: it waits forever", a.key, a.limit, len(same), t.Name, strings.Join(where, ", "))
	}
}

package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Lock-order inversions: one path holds A while it asks for B, another
// holds B while it asks for A. When both can run at once, each may get
// its first lock and wait forever for the other's second. What counts:
//   - paths of two different runs (two workflows, a workflow and a cron
//     workflow, two templates of a library) run at once: an error for
//     mutexes (and semaphores of limit 1), a warning for semaphores of
//     a larger or unknown limit (they deadlock only when every permit is
//     taken on both sides);
//   - two paths of one run run at once when they part in one steps group
//     or in DAG tasks neither of which depends on the other, or below a
//     loop: likewise;
//   - two paths of one run that run one after the other deadlock only
//     when two runs of the workflow overlap: a warning;
//   - a mutex held on both paths before either lock (a gate) keeps them
//     apart, and nothing is reported.

type lgClass int

const (
	lgSequential lgClass = iota // one run, one after the other
	lgSameRun                   // one run, at once
	lgOtherRun                  // two runs
)

// reportInversions reports each pair of locks taken in both orders once,
// with the worst pair of paths found for it.
func (g *lockGraph) reportInversions() {
	pairs := make([][2]string, 0, len(g.edges))
	for p := range g.edges {
		if p[0] < p[1] && len(g.edges[[2]string{p[1], p[0]}]) > 0 {
			pairs = append(pairs, p)
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		return pairs[i][0] < pairs[j][0] || pairs[i][0] == pairs[j][0] && pairs[i][1] < pairs[j][1]
	})
	for _, p := range pairs {
		var best [2]*lgEdge
		bestSev, bestClass := Severity(""), lgSequential
		for _, e1 := range g.edges[p] {
			for _, e2 := range g.edges[[2]string{p[1], p[0]}] {
				class := lgClassOf(e1, e2)
				if g.gated(e1, e2, class) {
					continue
				}
				sev := SeverityWarning
				if class != lgSequential && e1.from.limit == 1 && e2.from.limit == 1 {
					sev = SeverityError
				}
				if best[0] == nil || sev == SeverityError && bestSev != SeverityError || sev == bestSev && class > bestClass {
					best, bestSev, bestClass = [2]*lgEdge{e1, e2}, sev, class
				}
			}
		}
		if best[0] != nil && g.report() {
			g.reportInversion(best[0], best[1], bestSev, bestClass)
		}
	}
}

func (g *lockGraph) reportInversion(e1, e2 *lgEdge, sev Severity, class lgClass) {
	// Said where the second path asks for its second lock, in the input.
	d, path := e2.to.at.sp.doc, e2.to.at.path
	if d == nil {
		d, path = e1.to.at.sp.doc, e1.to.at.path
	}
	if d == nil {
		d, path = e2.root.doc, e2.root.doc.specPath()
	}
	var why string
	switch {
	case class == lgSequential:
		why = "they run one after the other, but two runs of " + e1.root.label + " at once can each take the first and wait forever " +
			"for the other's; take the locks in one order everywhere, or serialise the runs with a workflow-level mutex"
	case sev == SeverityError:
		why = "both can run at once, and then each holds one and waits forever for the other (deadlock); take the locks in one order everywhere"
	default:
		why = "both can run at once, and when every permit is taken on both sides each waits forever for the other; take the locks in one order everywhere"
	}
	msg := fmt.Sprintf("lock-order inversion: %s holds %s %s (%s) while it asks for %s %s (%s), and %s holds %s (%s) while it asks for %s (%s): %s",
		describePath(e1), lockWord(e1.from), e1.from.key, e1.from.at, lockWord(e1.to), e1.to.key, e1.to.at,
		describePath(e2), e2.from.key, e2.from.at, e2.to.key, e2.to.at, why)
	if sev == SeverityError {
		d.errorAt(path, "%s", msg)
	} else {
		d.warnAt(path, "%s", msg)
	}
}

func lockWord(h *lgHeld) string {
	if h.mutex {
		return "mutex"
	}
	return "semaphore"
}

// describePath names a path by its run and the templates it goes
// through: `Workflow ab: main > take-a > take-b`.
func describePath(e *lgEdge) string {
	names := []string{e.root.first}
	for _, s := range e.trail.sites() {
		names = append(names, s.label)
	}
	return e.root.label + ": " + strings.Join(names, " > ")
}

// lgClassOf says whether the paths of two edges can run at once. Two
// paths of one walk share the calls above where they part (their trails
// meet there), so the comparison costs the paths' depth, not a copy.
func lgClassOf(e1, e2 *lgEdge) lgClass {
	if e1.root.run != e2.root.run {
		return lgOtherRun
	}
	if e1.root.part != e2.root.part {
		return lgSequential
	}
	// Climb to the call both paths share, keeping the calls just below
	// it (where they part: a, b).
	x, y := e1.trail, e2.trail
	var a, b *lgTrail
	for x.len() > y.len() {
		a, x = x, x.parent
	}
	for y.len() > x.len() {
		b, y = y, y.parent
	}
	for x != y {
		a, b = x, y
		x, y = x.parent, y.parent
	}
	// A loop above both runs them at once, one per item.
	for c := x; c != nil; c = c.parent {
		if c.site.loop {
			return lgSameRun
		}
	}
	if a == nil || b == nil {
		return lgSequential // one path is the other's beginning
	}
	sa, sb := a.site, b.site
	if sa.spec != sb.spec || sa.tmpl != sb.tmpl {
		return lgSequential
	}
	if sa.group >= 0 {
		if sa.group == sb.group {
			return lgSameRun
		}
		return lgSequential
	}
	if sa.dag != nil && !taskReaches(sa.dag, sa.task, sb.task) && !taskReaches(sa.dag, sb.task, sa.task) {
		return lgSameRun
	}
	return lgSequential
}

// gated says whether a mutex held on both paths, other than the two
// locks, keeps them from running at once. Within one run a lock held
// for both by one node (a common caller) keeps nothing apart. It costs
// the two paths' lengths, charged to the work bound (when that is used
// up the pair counts as gated: nothing is reported that was not looked
// at).
func (g *lockGraph) gated(e1, e2 *lgEdge, class lgClass) bool {
	n := 0
	for h := e2.held; h != nil; h = h.parent {
		n++
		if h.h.limit != 1 {
			continue
		}
		x, ok := g.gate[h.h.key]
		switch {
		case !ok:
			g.gate[h.h.key] = lgGate{at: h.h.at}
		case x.at != h.h.at:
			g.gate[h.h.key] = lgGate{at: x.at, more: true}
		}
	}
	defer clear(g.gate)
	for h := e1.held; h != nil; h = h.parent {
		n++
		h1 := &h.h
		if h1.limit != 1 || h1.key == e1.from.key || h1.key == e1.to.key {
			continue
		}
		if x, ok := g.gate[h1.key]; ok && (class != lgSameRun || x.more || x.at != h1.at) {
			g.spend(n)
			return true
		}
	}
	return !g.spend(n)
}

// lgGate is a mutex held on a path, for gated: where it is held, and
// whether it is held at more than one place.
type lgGate struct {
	at   lgLoc
	more bool
}

// taskReaches says whether task from depends on task to, directly or
// through others (bounded by the number of tasks).
func taskReaches(dag *wfv1.DAGTemplate, from, to string) bool {
	deps := map[string][]string{}
	for i := range dag.Tasks {
		t := &dag.Tasks[i]
		ds := append([]string(nil), t.Dependencies...)
		if t.Depends != "" && !isTemplated(t.Depends) {
			if e, err := ParseDepends(t.Depends); err == nil {
				ds = append(ds, e.Tasks()...)
			}
		}
		deps[t.Name] = ds
	}
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, d := range deps[cur] {
			if d == to {
				return true
			}
			if !seen[d] {
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	return false
}

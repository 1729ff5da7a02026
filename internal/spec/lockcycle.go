package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Lock-order cycles of three locks or more: one path holds A while it
// asks for B, another holds B while it asks for C, a third holds C while
// it asks for A. When all can run at once each may take its first lock
// and wait forever for the next's, as two paths do in an inversion
// (lockorder.go, which reports cycles of two). Only chordless cycles are
// reported: a cycle with a shortcut (A->C beside A->B->C) contains a
// shorter one, which is reported in its place, so one knot is said once.
//
// The search is bounded: cycles of at most lgMaxCycleLen locks, at most
// lgMaxCycles of them, and lgMaxCycleSteps edges looked at in all; when
// a bound stops it, a warning says so. The runtime detector catches what
// lies beyond.
const (
	lgMaxCycleLen = 6
	lgMaxCycles   = 32
)

// lgMaxCycleSteps is a variable so that a test can reach it.
var lgMaxCycleSteps = 200000

// reportCycles finds the chordless cycles of three locks or more in the
// "held A, asked for B" graph and reports each once; first is where to
// say that the search stopped.
func (g *lockGraph) reportCycles(first *Document) {
	adj := map[string][]string{}
	for p, es := range g.edges {
		if len(es) > 0 && p[0] != p[1] {
			adj[p[0]] = append(adj[p[0]], p[1])
		}
	}
	nodes := make([]string, 0, len(adj))
	for n := range adj {
		sort.Strings(adj[n])
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	has := func(a, b string) bool { return len(g.edges[[2]string{a, b}]) > 0 }
	// A cycle lies within one strongly connected component: the search
	// keeps to it, and a path the length bound cuts inside one may go on
	// to a longer cycle, which a warning then says is not looked for.
	comp := components(nodes, adj)
	var cycles [][]string
	steps, stopped, cutLong := 0, false, ""
	for _, s := range nodes {
		// Each cycle is found once, from its smallest lock: the path
		// visits only larger ones.
		path := []string{s}
		var extend func()
		extend = func() {
			v := path[len(path)-1]
			for _, w := range adj[v] {
				if stopped {
					return
				}
				if steps++; steps > lgMaxCycleSteps {
					stopped = true
					return
				}
				if w == s {
					if len(path) >= 3 {
						cycles = append(cycles, append([]string(nil), path...))
						stopped = len(cycles) >= lgMaxCycles
					}
					continue
				}
				// A node with an edge back to the start can only close
				// the cycle: going on from it leaves a chord.
				if w < s || comp[w] != comp[s] || len(path) > 1 && has(v, s) || chord(path, w, has) {
					continue
				}
				if len(path) >= lgMaxCycleLen {
					if cutLong == "" {
						cutLong = strings.Join(append(append([]string(nil), path...), w), " > ")
					}
					continue
				}
				path = append(path, w)
				extend() // depth bounded by lgMaxCycleLen
				path = path[:len(path)-1]
			}
		}
		extend()
		if stopped {
			break
		}
	}
	if stopped && first != nil {
		first.warnAt(first.specPath(), "the lock-order cycle search stopped after %d steps (%d cycles found; at most %d locks a cycle): "+
			"longer or further cycles are not looked for, and the engine's deadlock detector remains", min(steps, lgMaxCycleSteps), len(cycles), lgMaxCycleLen)
	}
	if !stopped && cutLong != "" && first != nil {
		first.warnAt(first.specPath(), "the lock-order cycle search stopped at cycles of %d locks: the locks %s, taken one while holding the one before, "+
			"may go on to a longer cycle, which is not looked for; the engine's deadlock detector remains", lgMaxCycleLen, cutLong)
	}
	for _, c := range cycles {
		g.reportCycle(c)
	}
}

// components numbers the strongly connected components of the graph
// (Kosaraju's two passes, iterative: each node and edge is visited twice).
func components(nodes []string, adj map[string][]string) map[string]int {
	rev := map[string][]string{}
	for _, v := range nodes {
		for _, w := range adj[v] {
			rev[w] = append(rev[w], v)
		}
	}
	// First pass: the order in which nodes finish.
	seen := map[string]bool{}
	var order []string
	type frame struct {
		v string
		i int
	}
	for _, r := range nodes {
		if seen[r] {
			continue
		}
		seen[r] = true
		stack := []frame{{r, 0}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.i < len(adj[f.v]) {
				w := adj[f.v][f.i]
				f.i++
				if !seen[w] {
					seen[w] = true
					stack = append(stack, frame{w, 0})
				}
				continue
			}
			order = append(order, f.v)
			stack = stack[:len(stack)-1]
		}
	}
	// Second pass, on the reversed graph, latest finished first.
	comp := map[string]int{}
	n := 0
	for i := len(order) - 1; i >= 0; i-- {
		r := order[i]
		if _, ok := comp[r]; ok {
			continue
		}
		n++
		comp[r] = n
		stack := []string{r}
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, w := range rev[v] {
				if _, ok := comp[w]; !ok {
					comp[w] = n
					stack = append(stack, w)
				}
			}
		}
	}
	return comp
}

// chord says whether w, joining path, would make an edge between two
// locks of the cycle that do not follow each other: from an earlier lock
// but the last, or back to any but the first.
func chord(path []string, w string, has func(a, b string) bool) bool {
	for i, p := range path {
		if i < len(path)-1 && has(p, w) || i > 0 && has(w, p) {
			return true
		}
	}
	return false
}

// reportCycle picks a path for each step of cycle c, preferring ones
// that can all run at once and none kept apart by a gate, and reports
// it: an error when they all can and every lock is a mutex (or limit 1),
// a warning when they need every permit or two runs of one workflow; not
// at all when a gate keeps every choice apart.
func (g *lockGraph) reportCycle(c []string) {
	steps := make([][]*lgEdge, len(c))
	for i := range c {
		steps[i] = g.edges[[2]string{c[i], c[(i+1)%len(c)]}]
	}
	chosen, concurrent := g.pickCycle(steps, true)
	if chosen == nil {
		if chosen, _ = g.pickCycle(steps, false); chosen == nil {
			return
		}
	}
	if !g.report() {
		return
	}
	sev := SeverityWarning
	if concurrent {
		sev = SeverityError
		for _, e := range chosen {
			if e.from.limit != 1 {
				sev = SeverityWarning
			}
		}
	}
	last := chosen[len(chosen)-1]
	d, path := last.to.at.sp.doc, last.to.at.path
	for i := len(chosen) - 1; d == nil && i >= 0; i-- {
		d, path = chosen[i].to.at.sp.doc, chosen[i].to.at.path
	}
	if d == nil {
		d, path = last.root.doc, last.root.doc.specPath()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "lock-order cycle of %d locks: ", len(c))
	for i, e := range chosen {
		switch {
		case i == 0:
			fmt.Fprintf(&b, "%s holds %s %s (%s) while it asks for %s %s (%s)", describePath(e), lockWord(e.from), e.from.key, e.from.at, lockWord(e.to), e.to.key, e.to.at)
		case i == len(chosen)-1:
			fmt.Fprintf(&b, ", and %s holds %s (%s) while it asks for %s (%s)", describePath(e), e.from.key, e.from.at, e.to.key, e.to.at)
		default:
			fmt.Fprintf(&b, ", %s holds %s (%s) while it asks for %s (%s)", describePath(e), e.from.key, e.from.at, e.to.key, e.to.at)
		}
	}
	switch {
	case !concurrent:
		b.WriteString(": they cannot all run at once in one run, but overlapping runs can each take one and wait forever for the next's; take the locks in one order everywhere")
	case sev == SeverityError:
		b.WriteString(": all can run at once, and then each holds one and waits forever for the next's (deadlock); take the locks in one order everywhere")
	default:
		b.WriteString(": all can run at once, and when every permit of each is taken, each waits forever for the next's; take the locks in one order everywhere")
	}
	if sev == SeverityError {
		d.errorAt(path, "%s", b.String())
	} else {
		d.warnAt(path, "%s", b.String())
	}
}

// pickCycle chooses one path for each step, no two of them kept apart by
// a gate and, when together, each pair able to run at once; it tries
// each path of the first step and takes the first fitting path of each
// next one (at most lgMaxWitnesses² × steps² comparisons). It returns
// nil when none fits, and whether the paths chosen can all run at once.
func (g *lockGraph) pickCycle(steps [][]*lgEdge, together bool) ([]*lgEdge, bool) {
	fits := func(a, b *lgEdge) bool {
		class := lgClassOf(a, b)
		return !g.gated(a, b, class) && (!together || class != lgSequential)
	}
	for _, first := range steps[0] {
		chosen := []*lgEdge{first}
		for _, step := range steps[1:] {
			for _, e := range step {
				ok := true
				for _, x := range chosen {
					ok = ok && fits(x, e)
				}
				if ok {
					chosen = append(chosen, e)
					break
				}
			}
		}
		if len(chosen) == len(steps) {
			return chosen, together
		}
	}
	return nil, false
}

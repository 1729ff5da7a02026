package reconcile

import (
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// Cache keeps what one workflow's reconciles can reuse from one call to
// the next. The expanded lists of its loops, with their nodes' names and
// IDs, and the shapes of its DAGs (dagshape.go) are found by what alone
// determines them (the loop's node name, the workflow's name, the loop's
// list or resolved input, the item limit), so a changed input is a miss.
// The working copies of the nodes, the sums over them (progress, active
// pods, names, outputs, daemons) and the finished prefixes of loops and
// DAGs are kept only while the workflow's nodes are as the last call left
// them (nodecache.go): a running workflow's nodes changed other than by
// a call must go through SetWaitingMessage or be followed by Reset. The
// engine keeps one per running workflow; it is not safe for concurrent
// use.
type Cache struct {
	loops map[string]*loopEntry
	dags  map[string]*dagShape
	// state is the workflow's nodes and sums as the last call left them
	// (nodecache.go).
	state *nodeState
	// spec is what a scan of the templates found (specfacts.go).
	spec specFacts
	// walk counts the calls that walked; an entry no walk used in the
	// last call is dropped, so the cache holds only live loops.
	walk int
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{loops: map[string]*loopEntry{}, dags: map[string]*dagShape{}}
}

// sweep drops the loops the last walk did not visit.
func (c *Cache) sweep() {
	for k, e := range c.loops {
		if e.walk != c.walk {
			delete(c.loops, k)
		}
	}
	for k, s := range c.dags {
		if s.walk != c.walk {
			delete(c.dags, k)
		}
	}
}

// ReconcileCached is ReconcileWith reusing c across calls for the same
// workflow. Its results are ReconcileWith's.
func ReconcileCached(wf *wfv1.Workflow, c *Cache, events []Event, now time.Time, res Resolver, limits spec.Limits) *Plan {
	plan := reconcileWalk(wf, events, now, res, limits, walkOpts{cache: c})
	if plan.Done {
		// An ended workflow walks no more: what was kept for its walks
		// is only memory.
		*c = *NewCache()
	}
	return plan
}

// walkOpts are how a call walks.
type walkOpts struct {
	cache *Cache
	// legacy walks as before the incremental reconcile, for the test that
	// compares the two.
	legacy bool
	// work, when set, counts the walk's work for the scaling tests.
	work *workCount
}

// workCount is what a walk did that grows with a workflow's size.
type workCount struct {
	// expansions counts loop lists decoded (withItems, withParam,
	// withSequence); scopes counts loop item scopes built.
	expansions, scopes int
}

func (o *op) countExpansion() {
	if o.walk.work != nil {
		o.walk.work.expansions++
	}
}

func (o *op) countScope() {
	if o.walk.work != nil {
		o.walk.work.scopes++
	}
}

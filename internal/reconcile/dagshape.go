package reconcile

import (
	"slices"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// dagShape is what a walk of a DAG derives from its task list alone: the
// parsed dependencies, the tasks whose failure a depends tests, the
// tasks' node names and IDs, and, without a target, the targets. Kept
// in the Cache by the DAG node's name, it is used only while the task
// list still has the same names and dependencies (checked on each walk),
// so like a loop's expansion it cannot go stale.
type dagShape struct {
	wfName       string
	names        []string
	depends      []string
	dependencies [][]string
	// index is a task's position by name (the last, if a name repeats:
	// what a map by name holds).
	index     map[string]int
	deps      []*spec.DependsExpr
	depTasks  [][]string // deps[i].Tasks()
	handle    map[string]bool
	nodeNames []string
	ids       []string
	// targets and set are those of a DAG without a target.
	targets []string
	set     map[string]bool
	walk    int
	// checked is the task list the last check of fits found fitting.
	checked *wfv1.DAGTask
	// kept is what the walks keep beside the shape (dagprefix.go).
	kept dagKept
}

// shapeOf returns the shape of the DAG node's tasks, from the cache when
// it still fits them; an error is a task's unparsable depends.
func (o *op) shapeOf(node *wfv1.NodeStatus, tasks []wfv1.DAGTask) (*dagShape, error) {
	c := o.walk.cache
	if c != nil && !o.walk.legacy {
		if s := c.dags[node.Name]; s != nil && s.fits(o.wf.Metadata.Name, tasks) {
			s.walk = c.walk
			return s, nil
		}
	}
	s := &dagShape{wfName: o.wf.Metadata.Name, index: make(map[string]int, len(tasks)), handle: map[string]bool{},
		names: make([]string, len(tasks)), depends: make([]string, len(tasks)), dependencies: make([][]string, len(tasks)),
		nodeNames: make([]string, len(tasks)), ids: make([]string, len(tasks))}
	for i := range tasks {
		t := &tasks[i]
		s.names[i], s.depends[i], s.dependencies[i] = t.Name, t.Depends, slices.Clone(t.Dependencies)
		s.index[t.Name] = i
		s.nodeNames[i] = node.Name + "." + t.Name
		s.ids[i] = NodeID(s.wfName, s.nodeNames[i])
	}
	s.deps = make([]*spec.DependsExpr, len(tasks))
	s.depTasks = make([][]string, len(tasks))
	for i := range tasks {
		e, err := dependsOf(&tasks[i])
		if err != nil {
			return nil, &taskDependsError{task: tasks[i].Name, err: err}
		}
		s.deps[i], s.depTasks[i] = e, e.Tasks()
		markHandled(e, s.handle)
	}
	s.targets, s.set = s.allTargets()
	if c != nil && !o.walk.legacy {
		s.walk = c.walk
		c.dags[node.Name] = s
	}
	return s, nil
}

type taskDependsError struct {
	task string
	err  error
}

func (e *taskDependsError) Error() string { return e.err.Error() }

func (s *dagShape) fits(wfName string, tasks []wfv1.DAGTask) bool {
	if s.wfName != wfName || len(s.names) != len(tasks) {
		return false
	}
	// The same task list as the last check found fitting: a running
	// workflow's spec is not edited in place (dagprefix.go).
	if len(tasks) > 0 && s.checked == &tasks[0] {
		return true
	}
	for i := range tasks {
		t := &tasks[i]
		if t.Name != s.names[i] || t.Depends != s.depends[i] || !slices.Equal(t.Dependencies, s.dependencies[i]) {
			return false
		}
	}
	if len(tasks) > 0 {
		s.checked = &tasks[0]
	}
	return true
}

// allTargets is a DAG's targets without a `target`: every task no other
// depends on, and every task to run.
func (s *dagShape) allTargets() ([]string, map[string]bool) {
	set := make(map[string]bool, len(s.names))
	used := map[string]bool{}
	for i := range s.deps {
		if s.index[s.names[i]] != i {
			continue // a repeated name: the last one's depends stand
		}
		for _, t := range s.depTasks[i] {
			used[t] = true
		}
	}
	var targets []string
	for _, name := range s.names {
		set[name] = true
		if !used[name] {
			targets = append(targets, name)
		}
	}
	return targets, set
}

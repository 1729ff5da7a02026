package reconcile

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Hook nodes are named as Argo names them (controller/hooks.go,
// exit_handler.go): a step's or task's exit hook, whether written
// `onExit:` or `hooks: {exit: ...}`, is `<node>.onExit`; other hooks are
// `<node>.hooks.<name>`; the workflow's are `<workflow>.hooks.<name>`,
// children of the root node, and `<workflow>.onExit`.
func TestHookNodesAreNamedAsInArgo(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  hooks:
    running: {expression: workflow.status == "Running", template: note}
    exit: {template: note}
  templates:
  - name: main
    steps:
    - - name: a
        template: work
        hooks:
          exit: {template: note}
      - name: b
        template: work
        onExit: note
      - name: c
        template: work
        onExit: note
        hooks:
          exit: {template: other}
      - name: d
        template: work
        hooks:
          exit: {template: note, expression: steps.d.status == "Failed"}
      - name: e
        template: graph
  - name: graph
    dag:
      tasks:
      - name: t
        template: work
        hooks:
          exit: {template: note}
          done: {template: note, expression: tasks.t.status == "Succeeded"}
  - {name: work, container: {image: x, command: ["true"]}}
  - {name: note, container: {image: x, command: [echo, note]}}
  - {name: other, container: {image: x, command: [echo, other]}}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s\n%s", wf.Status.Phase, s.dump())
	}
	for _, name := range []string{"wf[0].a.onExit", "wf[0].b.onExit", "wf[0].c.onExit",
		"wf[0].e.t.onExit", "wf[0].e.t.hooks.done", "wf.hooks.running", "wf.onExit"} {
		if n := s.node(name); n.NodeFlag == nil || !n.NodeFlag.Hooked {
			t.Errorf("%s: flag %+v, want hooked", name, n.NodeFlag)
		}
	}
	if tn := s.node("wf[0].c.onExit").TemplateName; tn != "note" {
		t.Errorf("c's exit hook ran %q; onExit wins over hooks.exit, as in Argo", tn)
	}
	for _, name := range []string{"wf[0].a.hooks.exit", "wf[0].c.hooks.exit", "wf[0].d.onExit", "wf[0].d.hooks.exit"} {
		if _, ok := wf.Status.Nodes[NodeID("wf", name)]; ok {
			t.Errorf("node %s exists\n%s", name, s.dump())
		}
	}
	root, hook := s.node("wf"), s.node("wf.hooks.running")
	if !contains(root.Children, hook.ID) {
		t.Errorf("workflow hook %s is not a child of the root node", hook.Name)
	}
}

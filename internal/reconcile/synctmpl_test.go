package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

const templatedLocks = header + `  entrypoint: main
  arguments: {parameters: [{name: lockname, value: db}]}
  synchronization:
    mutexes: [{name: "mutex-{{workflow.name}}"}]
    semaphores: [{configMapKeyRef: {name: "limits-{{workflow.namespace}}", key: "{{workflow.parameters.lockname}}"}}]
  templates:
  - name: main
    steps:
    - - {name: a, template: locked, arguments: {parameters: [{name: group, value: x}]}}
  - name: locked
    inputs: {parameters: [{name: group}]}
    synchronization:
      mutexes: [{name: "lock-{{inputs.parameters.group}}-{{workflow.parameters.lockname}}"}]
    container: {image: x, command: ["true"]}
`

// Lock names are templated as in Argo: the workflow-level block with the
// workflow's scope before it runs, a template's block with its inputs.
func TestLockNamesAreSubstituted(t *testing.T) {
	s := newSim(t, templatedLocks, succeed)
	plan := Reconcile(s.wf, nil, s.now, s.res)
	if len(plan.Acquire) != 1 {
		t.Fatalf("acquire %+v", plan.Acquire)
	}
	var keys []string
	for _, l := range plan.Acquire[0].Locks {
		keys = append(keys, l.Key)
	}
	want := "default/ConfigMap/limits-default/db,default/Mutex/mutex-wf"
	if strings.Join(keys, ",") != want {
		t.Fatalf("workflow locks %v, want %s", keys, want)
	}
	if !strings.Contains(s.wf.Status.Message, "default/ConfigMap/limits-default/db") {
		t.Fatalf("message %q", s.wf.Status.Message)
	}

	s = newSim(t, templatedLocks, succeed)
	s.locks = true
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if len(s.tokens) == 0 {
		t.Fatal("no step ran")
	}
	for name, toks := range s.tokens {
		if toks["default/Mutex/lock-x-db"] == 0 || toks["default/Mutex/mutex-wf"] == 0 {
			t.Fatalf("%s launched with tokens %v, want default/Mutex/lock-x-db's and default/Mutex/mutex-wf's", name, toks)
		}
	}
}

// A reference that cannot be resolved when the lock is taken fails the
// node (or workflow) with a message naming the field, rather than taking
// a lock literally named "{{...}}" that every workflow would share.
func TestUnresolvedLockNameFails(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    synchronization:
      mutexes: [{name: "lock"}]
    container: {image: x, command: ["true"]}
`, succeed)
	// Set past lint, as a stored workflow from an older version may be.
	s.wf.Spec.Templates[0].Synchronization.Mutexes[0].Name = "lock-{{workflow.labels.team}}"
	plan := Reconcile(s.wf, nil, s.now, s.res)
	if len(plan.Acquire) != 0 {
		t.Fatalf("acquired %+v for an unresolved name", plan.Acquire)
	}
	if s.wf.Status.Phase != wfv1.PhaseError && s.wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("phase %s %q\n%s", s.wf.Status.Phase, s.wf.Status.Message, s.dump())
	}
	n := s.node("wf")
	if !strings.Contains(n.Message, "synchronization.mutexes[0].name") || !strings.Contains(n.Message, "workflow.labels.team") {
		t.Fatalf("node message %q", n.Message)
	}
}

package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A parameter that turns a lock name into a path into another namespace's
// keys ("../team-b/Mutex/bmutex") fails the node with a message naming the
// field; no lock is requested under that key.
func TestSubstitutedLockNameWithAPathFails(t *testing.T) {
	for _, c := range []struct{ value, field string }{
		{"../team-b/Mutex/bmutex", "synchronization.mutexes[0].name"},
		{"Bad_Name", "synchronization.semaphores[0].configMapKeyRef.name"},
	} {
		s := newSim(t, header+`  entrypoint: main
  arguments: {parameters: [{name: m, value: "`+c.value+`"}]}
  templates:
  - name: main
    synchronization:
      mutexes: [{name: "{{workflow.parameters.m}}"}]
      semaphores: [{configMapKeyRef: {name: "{{workflow.parameters.m}}", key: k}}]
    container: {image: x, command: ["true"]}
`, succeed)
		// Only the field under test takes the parameter.
		if strings.Contains(c.field, "mutexes") {
			s.wf.Spec.Templates[0].Synchronization.Semaphores[0].ConfigMapKeyRef.Name = "fine"
		} else {
			s.wf.Spec.Templates[0].Synchronization.Mutexes[0].Name = "fine"
		}
		plan := Reconcile(s.wf, nil, s.now, s.res)
		for _, a := range plan.Acquire {
			for _, l := range a.Locks {
				t.Errorf("%s: acquired %s", c.value, l.Key)
			}
		}
		if s.wf.Status.Phase != wfv1.PhaseError && s.wf.Status.Phase != wfv1.PhaseFailed {
			t.Fatalf("%s: phase %s %q\n%s", c.value, s.wf.Status.Phase, s.wf.Status.Message, s.dump())
		}
		if n := s.node("wf"); !strings.Contains(n.Message, c.field) {
			t.Fatalf("%s: node message %q, want %s named", c.value, n.Message, c.field)
		}
	}
}

package reconcile

import (
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Every item of a large loop under a template-level lock queues for it,
// and a terminate releases every wait: both in time linear in the loop.
func TestLargeLoopUnderLockIsLinear(t *testing.T) {
	const n = 20000
	wf, res := unchecked(t, fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {slots: "2"}
---
`+header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: many, template: work, withSequence: {count: "%d"}}
  - name: work
    synchronization: {semaphore: {configMapKeyRef: {name: limits, key: slots}}}
    container: {image: x, command: ["true"]}
`, n))
	var plan *Plan
	within(t, 30*time.Second, fmt.Sprintf("reconcile of a %d-item loop under a semaphore", n), func() {
		plan = Reconcile(wf, nil, t0, res)
	})
	if len(plan.Acquire) != n {
		t.Fatalf("%d lock requests, want %d", len(plan.Acquire), n)
	}
	within(t, 30*time.Second, "a second walk of the waiting loop", func() {
		plan = Reconcile(wf, []Event{{Kind: Resume, At: t0}}, t0, res)
	})
	if len(plan.Acquire) != 0 {
		t.Fatalf("%d lock requests made again", len(plan.Acquire))
	}
	within(t, 30*time.Second, "terminating the waiting loop", func() {
		plan = Reconcile(wf, []Event{{Kind: Terminate, At: t0}}, t0, res)
	})
	if wf.Status.Phase != wfv1.PhaseFailed || len(plan.Release) != n {
		t.Fatalf("phase %s, %d released; want Failed and %d released", wf.Status.Phase, len(plan.Release), n)
	}
}

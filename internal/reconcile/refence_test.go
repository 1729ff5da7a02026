package reconcile

import (
	"testing"

	"github.com/semaflow/semaflow/internal/domain"
)

// A second grant for a holder that holds already (its node was lost and
// the adopting node gave it fresh tokens) replaces its tokens: the steps
// that start next see the new ones, and the holding lists name it once.
func TestGrantAgainReplacesTokens(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: locked}
  - name: locked
    synchronization: {mutex: {name: m}}
    container: {image: x, command: ["true"]}
`)
	plan := Reconcile(wf, nil, t0, res)
	if len(plan.Acquire) != 1 {
		t.Fatalf("want one lock request, got %+v", plan.Acquire)
	}
	holder := plan.Acquire[0].Holder
	grant := func(v uint64) *Plan {
		return Reconcile(wf, []Event{{Kind: LockGranted, Holder: holder, Tokens: []domain.Token{{Lock: "default/Mutex/m", Value: v}}, At: t0}}, t0, res)
	}
	plan = grant(4)
	if len(plan.Start) != 1 || plan.Start[0].Tokens["default/Mutex/m"] != 4 {
		t.Fatalf("first grant: start %+v, want the step with token 4", plan.Start)
	}
	grant(9)
	s := wf.Status.Synchronization
	if got := s.Tokens[holder]["default/Mutex/m"]; got != 9 {
		t.Errorf("token after the second grant: %d, want 9", got)
	}
	if s.Mutex == nil || len(s.Mutex.Holding) != 1 {
		t.Errorf("mutex holding after the second grant: %+v, want the holder once", s.Mutex)
	}
	k, _ := domain.ParseHolderKey(holder)
	if n := wf.Status.Nodes[k.NodeID]; n.SynchronizationStatus == nil || n.SynchronizationStatus.Tokens["default/Mutex/m"] != 9 {
		t.Errorf("node tokens after the second grant: %+v, want 9", n.SynchronizationStatus)
	}
}

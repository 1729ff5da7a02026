package engine

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Which of ttlStrategy's fields applies, as Argo's TTL controller picks
// it: secondsAfterFailure only for Failed (not Error), secondsAfterSuccess
// for Succeeded, secondsAfterCompletion for any end the others leave; the
// workflow's own strategy replaces its template's whole.
func TestTTLExpiry(t *testing.T) {
	s := func(n int32) *int32 { return &n }
	end := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	all := &wfv1.TTLStrategy{SecondsAfterCompletion: s(10), SecondsAfterSuccess: s(20), SecondsAfterFailure: s(30)}
	for _, c := range []struct {
		name          string
		phase         string
		own, template *wfv1.TTLStrategy
		want          time.Duration // -1: none
	}{
		{"succeeded", wfv1.PhaseSucceeded, all, nil, 20 * time.Second},
		{"failed", wfv1.PhaseFailed, all, nil, 30 * time.Second},
		{"error takes completion", wfv1.PhaseError, all, nil, 10 * time.Second},
		{"error without completion", wfv1.PhaseError, &wfv1.TTLStrategy{SecondsAfterFailure: s(1)}, nil, -1},
		{"succeeded falls to completion", wfv1.PhaseSucceeded, &wfv1.TTLStrategy{SecondsAfterCompletion: s(5), SecondsAfterFailure: s(1)}, nil, 5 * time.Second},
		{"zero", wfv1.PhaseSucceeded, &wfv1.TTLStrategy{SecondsAfterSuccess: s(0)}, nil, 0},
		{"running", wfv1.PhaseRunning, all, nil, -1},
		{"none", wfv1.PhaseSucceeded, nil, nil, -1},
		{"from template", wfv1.PhaseSucceeded, nil, all, 20 * time.Second},
		{"own replaces template", wfv1.PhaseSucceeded, &wfv1.TTLStrategy{SecondsAfterFailure: s(1)}, all, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			wf := &wfv1.Workflow{Spec: wfv1.WorkflowSpec{TTLStrategy: c.own}}
			wf.Status.Phase = c.phase
			if c.phase != wfv1.PhaseRunning {
				wf.Status.FinishedAt = &end
			}
			if c.template != nil {
				wf.Status.StoredWorkflowTemplateSpec = &wfv1.WorkflowSpec{TTLStrategy: c.template}
			}
			at, ok := ttlExpiry(wf)
			switch {
			case c.want < 0 && ok:
				t.Fatalf("expires at %s, want never", at)
			case c.want >= 0 && !ok:
				t.Fatalf("never expires, want %s after the end", c.want)
			case ok && !at.Equal(end.Add(c.want)):
				t.Fatalf("expires at %s, want %s", at, end.Add(c.want))
			}
		})
	}
}

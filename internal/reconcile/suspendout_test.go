package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// suspendWF is Argo's suspend_test.go workflow: a suspend step with a
// duration whose output is supplied, read by the next step. outputs is
// the approve template's output parameters block.
func suspendWF(duration, outputs string) string {
	return header + `  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: approve, template: approve}
    - - name: release
        template: echo
        arguments:
          parameters: [{name: message, value: "{{steps.approve.outputs.parameters.message}}"}]
  - name: approve
    suspend: {` + duration + `}
    inputs:
      parameters: [{name: message, default: "from the input"}]
    outputs:
      parameters:
` + outputs + `
  - name: echo
    inputs: {parameters: [{name: message}]}
    container: {image: x, command: [echo, "{{inputs.parameters.message}}"]}
`
}

// A suspend node that times out takes its supplied outputs' defaults.
func TestSuspendTimeoutUsesOutputDefault(t *testing.T) {
	s := newSim(t, suspendWF("duration: 5s", `      - name: message
        valueFrom: {default: default message, supplied: {}}`), succeed)
	var got []string
	s.behave = func(l Launch) outcome { got = args(l); return succeed(l) }
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	n := s.node("wf[0].approve")
	if n.Phase != wfv1.PhaseSucceeded || n.Outputs == nil || len(n.Outputs.Parameters) != 1 ||
		n.Outputs.Parameters[0].Value == nil || *n.Outputs.Parameters[0].Value != "default message" {
		t.Fatalf("approve: %s %+v", n.Phase, n.Outputs)
	}
	if strings.Join(got, " ") != "echo default message" {
		t.Fatalf("release ran %q", got)
	}
	if wf.Status.Progress != "2/2" {
		t.Fatalf("progress %q, want 2/2", wf.Status.Progress)
	}
}

// Without an output default, Argo falls back to the input parameter's
// default of the same name.
func TestSuspendTimeoutUsesInputDefault(t *testing.T) {
	s := newSim(t, suspendWF("duration: 5s", `      - name: message
        valueFrom: {supplied: {}}`), succeed)
	var got []string
	s.behave = func(l Launch) outcome { got = args(l); return succeed(l) }
	if wf := s.run(); wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if strings.Join(got, " ") != "echo from the input" {
		t.Fatalf("release ran %q", got)
	}
}

// With no default at all, the timed-out node errors with Argo's message
// and the workflow fails.
func TestSuspendTimeoutWithoutDefaultFails(t *testing.T) {
	body := strings.Replace(suspendWF("duration: 5s", `      - name: message
        valueFrom: {supplied: {}}`), `default: "from the input"`, `value: x`, 1)
	s := newSim(t, body, succeed)
	wf := s.run()
	const msg = "raw output parameter 'message' has not been set and does not have a default value"
	if wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(wf.Status.Message, msg) {
		t.Fatalf("workflow %s %q", wf.Status.Phase, wf.Status.Message)
	}
	if n := s.node("wf[0].approve"); n.Phase != wfv1.PhaseError || n.Message != msg {
		t.Fatalf("approve: %s %q", n.Phase, n.Message)
	}
	if len(s.order) != 0 {
		t.Fatalf("ran %v after the error", s.order)
	}
}

// Resuming by hand takes the defaults too; with an output that has no
// value and no default, Argo refuses to resume and the node waits on.
func TestResumeSuppliedOutputs(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reconcileResume := func(outputs string) *wfv1.Workflow {
		body := strings.Replace(suspendWF("", outputs), `default: "from the input"`, `value: x`, 1)
		s := newSim(t, body, succeed)
		Reconcile(s.wf, nil, t0, s.res)
		s.roundTrip()
		if n := s.node("wf[0].approve"); n.Phase != wfv1.PhaseRunning {
			t.Fatalf("approve %s before the resume", n.Phase)
		}
		Reconcile(s.wf, []Event{{Kind: Resume, At: t0.Add(time.Second)}}, t0.Add(time.Second), s.res)
		s.roundTrip()
		return s.wf
	}
	wf := reconcileResume(`      - name: message
        valueFrom: {default: given, supplied: {}}`)
	n := wf.Status.Nodes[NodeID("wf", "wf[0].approve")]
	if n.Phase != wfv1.PhaseSucceeded || n.Outputs == nil || *n.Outputs.Parameters[0].Value != "given" {
		t.Fatalf("approve after resume: %s %+v", n.Phase, n.Outputs)
	}

	wf = reconcileResume(`      - name: message
        valueFrom: {supplied: {}}`)
	const msg = "raw output parameter 'message' has not been set and does not have a default value"
	if err := ResumeBlocked(wf); err == nil || !strings.Contains(err.Error(), msg) {
		t.Fatalf("ResumeBlocked = %v, want %q", err, msg)
	}
	if n := wf.Status.Nodes[NodeID("wf", "wf[0].approve")]; n.Phase != wfv1.PhaseRunning {
		t.Fatalf("approve %s after a refused resume, want Running", n.Phase)
	}
}

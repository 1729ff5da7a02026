package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

const httpWF = header + `  entrypoint: main
  arguments:
    parameters: [{name: base, value: "http://example.test"}]
  templates:
  - name: main
    steps:
    - - name: get
        template: get
        arguments: {parameters: [{name: path, value: hello}]}
  - name: get
    inputs: {parameters: [{name: path}]}
    http:
      url: "{{workflow.parameters.base}}/{{inputs.parameters.path}}"
      headers: [{name: X-Path, value: "{{inputs.parameters.path}}"}]
      successCondition: 'response.body contains "{{inputs.parameters.path}}"'
`

// An http template is a leaf the engine runs: its node is Argo's HTTP
// node, launched with the template's placeholders substituted.
func TestHTTPTemplateIsLaunched(t *testing.T) {
	var got *wfv1.HTTP
	s := newSim(t, httpWF, func(l Launch) outcome {
		got = l.Template.HTTP
		return outcome{takes: time.Second}
	})
	s.run()
	if got == nil {
		t.Fatalf("the http template was not launched:\n%s", s.dump())
	}
	if got.URL != "http://example.test/hello" || len(got.Headers) != 1 || got.Headers[0].Value != "hello" ||
		got.SuccessCondition != `response.body contains "hello"` {
		t.Fatalf("launched %+v", got)
	}
	if n := s.node("wf[0].get"); n.Type != "HTTP" {
		t.Fatalf("node type %q, want HTTP", n.Type)
	}
}

// A header from a Kubernetes secret cannot be honoured: the step errors,
// saying so, and nothing is launched.
func TestHTTPTemplateSecretHeaderIsRefused(t *testing.T) {
	body := strings.Replace(httpWF, `value: "{{inputs.parameters.path}}"}]`,
		`valueFrom: {secretKeyRef: {name: creds, key: token}}}]`, 1)
	launched := false
	s := newSim(t, body, func(Launch) outcome { launched = true; return succeed(Launch{}) })
	wf := s.run()
	n := s.node("wf[0].get")
	if launched || n.Phase != wfv1.PhaseError || !strings.Contains(n.Message, "secretKeyRef") || !strings.Contains(n.Message, "X-Path") {
		t.Fatalf("launched %v, node %s %q, workflow %s", launched, n.Phase, n.Message, wf.Status.Phase)
	}
}

// The executor's verdict is the node's phase and message; the body is its
// result, verbatim, for later steps; a failed request is retried as a
// failed pod is.
func TestHTTPTemplateOutcome(t *testing.T) {
	body := strings.Replace(httpWF, `        arguments: {parameters: [{name: path, value: hello}]}`, `        arguments: {parameters: [{name: path, value: hello}]}
    - - name: use
        template: echo
        arguments: {parameters: [{name: msg, value: "{{steps.get.outputs.result}}"}]}`, 1) + `    retryStrategy: {limit: 1}
  - name: echo
    inputs: {parameters: [{name: msg}]}
    container: {image: x, command: [echo, "{{inputs.parameters.msg}}"]}
`
	tries := 0
	var echoed []string
	s := newSim(t, body, func(l Launch) outcome {
		if l.Template.HTTP == nil {
			echoed = args(l)
			return succeed(l)
		}
		tries++
		if tries == 1 {
			return outcome{takes: time.Second, stdout: "busy\n", http: &domain.HTTPResult{StatusCode: 503, Failure: "received non-2xx response code: 503"}}
		}
		return outcome{takes: time.Second, stdout: "hello\n", http: &domain.HTTPResult{StatusCode: 200}}
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || tries != 2 {
		t.Fatalf("phase %s after %d tries:\n%s", wf.Status.Phase, tries, s.dump())
	}
	first := s.node("wf[0].get(0)")
	if first.Type != NodeHTTP || first.Phase != wfv1.PhaseFailed || first.Message != "received non-2xx response code: 503" ||
		first.Outputs == nil || *first.Outputs.Result != "busy\n" || first.Outputs.ExitCode != nil {
		t.Fatalf("first try: %s %s %q %+v", first.Type, first.Phase, first.Message, first.Outputs)
	}
	if strings.Join(echoed, " ") != "echo hello\n" {
		t.Fatalf("echo ran %q", echoed)
	}
	// Each try is a unit of work, as each pod of a retried step is.
	if wf.Status.Progress != "2/3" {
		t.Fatalf("progress %q, want 2/3", wf.Status.Progress)
	}
}

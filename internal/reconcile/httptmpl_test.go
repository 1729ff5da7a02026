package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
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

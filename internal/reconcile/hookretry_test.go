package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// retriesWithHooks is Argo's TestTemplateLevelHooksWithRetry workflow
// (hooks_test.go, v4.1.2): a step whose template retries (limit 2) and
// which carries expression hooks; the attempt succeeds on its third try.
const retriesWithHooks = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: retries-with-hooks-and-artifact}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: build
        template: output-artifact
        hooks:
          started:
            expression: steps["build"].status == "Running"
            template: started
          success:
            expression: steps["build"].status == "Succeeded"
            template: success
          failed:
            expression: steps["build"].status == "Failed" || steps["build"].status == "Error"
            template: failed
    - - name: print
        template: print-artifact
  - name: output-artifact
    script:
      image: argoproj/argosay:v2
      command: [/bin/sh]
      source: |
        [ "{{retries}}" = "2" ]
    retryStrategy: {limit: 2}
  - {name: started, container: {image: x, args: [echo, STARTED]}}
  - {name: success, container: {image: x, args: [echo, SUCCEEDED]}}
  - {name: failed, container: {image: x, args: [echo, FAILED]}}
  - {name: print-artifact, container: {image: x, args: [echo, print]}}
`

// attemptTwoSucceeds fails the script unless it runs as retry 2.
func attemptTwoSucceeds(l Launch) outcome {
	if l.Template.Script != nil && !strings.Contains(l.Template.Script.Source, `"2" = "2"`) {
		return outcome{exit: 1, takes: time.Second}
	}
	return outcome{takes: time.Second}
}

func TestTemplateLevelHooksWithRetryIsBounded(t *testing.T) {
	s := newSim(t, retriesWithHooks, attemptTwoSucceeds)
	var wf *wfv1.Workflow
	within(t, 20*time.Second, "the workflow", func() { wf = s.run() })
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	attempts := 0
	for _, name := range s.order {
		if strings.Contains(name, ".build(") {
			attempts++
		}
	}
	if attempts != 3 {
		t.Fatalf("%d attempts of build, want 3 (limit 2)\n%s", attempts, s.dump())
	}
	retry := s.node("retries-with-hooks-and-artifact[0].build")
	if retry.Type != NodeRetry || retry.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("build: %s %s, want a Succeeded Retry node", retry.Type, retry.Phase)
	}
	for _, name := range []string{"build(0)", "build(1)", "build(2)", "build.hooks.started", "build.hooks.success"} {
		n := s.node("retries-with-hooks-and-artifact[0]." + name)
		if !contains(retry.Children, n.ID) {
			t.Errorf("%s is not a child of the Retry node, as it is in Argo", name)
		}
	}
	if p := s.node("retries-with-hooks-and-artifact[1].print").Phase; p != wfv1.PhaseSucceeded {
		t.Fatalf("print: %s", p)
	}
}

// Argo marks attempts nodeFlag.retried and hook nodes nodeFlag.hooked;
// the Retry node itself carries no flag.
func TestRetryAndHookNodesAreFlaggedAsInArgo(t *testing.T) {
	s := newSim(t, retriesWithHooks, attemptTwoSucceeds)
	within(t, 20*time.Second, "the workflow", func() { s.run() })
	flag := func(name string) wfv1.NodeFlag {
		if f := s.node("retries-with-hooks-and-artifact" + name).NodeFlag; f != nil {
			return *f
		}
		return wfv1.NodeFlag{}
	}
	if f := s.node("retries-with-hooks-and-artifact[0].build").NodeFlag; f != nil {
		t.Errorf("Retry node flag %+v, want none", *f)
	}
	for _, name := range []string{"[0].build(0)", "[0].build(2)"} {
		if f := flag(name); !f.Retried || f.Hooked {
			t.Errorf("%s flag %+v, want retried only", name, f)
		}
	}
	for _, name := range []string{"[0].build.hooks.started", "[0].build.hooks.success"} {
		if f := flag(name); !f.Hooked || f.Retried {
			t.Errorf("%s flag %+v, want hooked only", name, f)
		}
	}
	if f := flag("[1].print"); f.Hooked || f.Retried {
		t.Errorf("print flag %+v, want none", f)
	}
}

package main

import (
	"os"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A containerSet runs its containers as one step: a DAG of processes
// sharing one working directory, the node's result and outputs coming
// from the container named main, a failed dependency stopping what
// depends on it, and containerSet.retryStrategy re-running a failed
// container in place.
func TestContainerSet(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: cs}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: seq, template: seq}
      - {name: use, template: echo, dependencies: [seq], arguments: {parameters: [{name: msg, value: "{{tasks.seq.outputs.result}}"}]}}
      - {name: broken, template: broken}
      - {name: retried, template: retried}
  - name: seq
    containerSet:
      containers:
      - {name: a, image: alpine, command: [sh, -c, "echo from-a > shared.txt; echo a-out"]}
      - {name: b, image: alpine, command: [sh, -c, "sleep 0.3; echo from-b >> shared.txt"]}
      - name: main
        image: alpine
        command: [sh, -c, "cat shared.txt; echo x > out.txt"]
        dependencies: [a, b]
    outputs:
      parameters: [{name: out, valueFrom: {path: out.txt}}]
  - name: broken
    containerSet:
      containers:
      - {name: a, image: alpine, command: [sh, -c, "exit 3"]}
      - {name: main, image: alpine, command: [sh, -c, "echo ran; touch /tmp/main-ran"], dependencies: [a]}
  - name: retried
    containerSet:
      retryStrategy: {retries: "2", duration: "100ms"}
      containers:
      - {name: main, image: argoproj/argosay:v2, command: [sh, -c], args: ['if test -f tried; then echo second; else touch tried; exit 1; fi']}
  - name: echo
    inputs: {parameters: [{name: msg}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.msg}}"]}
`)
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("workflow %s (want Failed: broken fails): %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	seq := nodeByDisplayName(t, wf, "seq")
	if seq.Type != "Pod" || seq.Phase != wfv1.PhaseSucceeded || seq.Outputs == nil || seq.Outputs.Result == nil ||
		*seq.Outputs.Result != "from-a\nfrom-b" {
		t.Fatalf("seq: %s %s %q %+v", seq.Type, seq.Phase, seq.Message, seq.Outputs)
	}
	if len(seq.Outputs.Parameters) != 1 || seq.Outputs.Parameters[0].Value == nil || *seq.Outputs.Parameters[0].Value != "x" {
		t.Fatalf("seq parameters: %+v", seq.Outputs.Parameters)
	}
	if use := nodeByDisplayName(t, wf, "use"); use.Phase != wfv1.PhaseSucceeded || !strings.Contains(string(*use.Inputs.Parameters[0].Value), "from-b") {
		t.Fatalf("use: %s %+v", use.Phase, use.Inputs)
	}
	broken := nodeByDisplayName(t, wf, "broken")
	if broken.Phase != wfv1.PhaseFailed || !strings.Contains(broken.Message, "exit code 3") {
		t.Fatalf("broken: %s %q", broken.Phase, broken.Message)
	}
	if broken.Outputs != nil && broken.Outputs.Result != nil && strings.Contains(*broken.Outputs.Result, "ran") {
		t.Fatalf("main ran though its dependency failed: %q", *broken.Outputs.Result)
	}
	retried := nodeByDisplayName(t, wf, "retried")
	if retried.Phase != wfv1.PhaseSucceeded || retried.Outputs == nil || *retried.Outputs.Result != "second" {
		t.Fatalf("retried: %s %q %+v", retried.Phase, retried.Message, retried.Outputs)
	}
}

// The set's volumeMounts are one directory its containers share, private
// to the step: Argo's documented example, as root.
func TestContainerSetVolumeMounts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mount paths are made in the step's own mount namespace (root)")
	}
	if _, err := os.Stat("/workspace"); err == nil {
		t.Skip("/workspace exists on this host")
	}
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: csvol}
spec:
  entrypoint: main
  templates:
  - name: main
    volumes:
    - {name: workspace, emptyDir: {}}
    containerSet:
      volumeMounts:
      - {mountPath: /workspace, name: workspace}
      containers:
      - {name: a, image: argoproj/argosay:v2, command: [sh, -c], args: ["echo 'a: hello world' >> /workspace/message"]}
      - {name: b, image: argoproj/argosay:v2, command: [sh, -c], args: ["echo 'b: hello world' >> /workspace/message"]}
      - name: main
        image: argoproj/argosay:v2
        command: [sh, -c]
        args: ["echo 'main: hello world' >> /workspace/message"]
        dependencies: [a, b]
    outputs:
      parameters:
      - {name: message, valueFrom: {path: /workspace/message}}
`)
	n := nodeByDisplayName(t, wf, "csvol")
	if wf.Status.Phase != wfv1.PhaseSucceeded || n.Outputs == nil || len(n.Outputs.Parameters) != 1 {
		t.Fatalf("workflow %s: %s; node %q %+v\n%s", wf.Status.Phase, wf.Status.Message, n.Message, n.Outputs, stderr)
	}
	msg := string(*n.Outputs.Parameters[0].Value)
	if !strings.HasSuffix(msg, "main: hello world") || !strings.Contains(msg, "a: hello world") || !strings.Contains(msg, "b: hello world") {
		t.Fatalf("message %q", msg)
	}
	if _, err := os.Stat("/workspace"); err == nil {
		t.Fatal("/workspace was made on the host")
	}
}

package engine_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// Wait returns the final workflow from memory when the run ended on this
// engine: it must be what the store holds, byte for byte as JSON (run -o
// json prints it), for workflows that succeed, fail, retry, loop, take a
// mutex, pass outputs and run an exit handler.
func TestWaitReturnsWhatTheStoreHolds(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	ctx := context.Background()
	manifests := map[string]string{
		"dag-outputs": `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-, labels: {team: a}}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo, arguments: {parameters: [{name: m, value: "{{workflow.parameters.who}}"}]}}
      - {name: b, template: echo, dependencies: [a], arguments: {parameters: [{name: m, value: "{{tasks.a.outputs.result}}"}]}}
  - name: echo
    inputs: {parameters: [{name: m}]}
    container: {image: x, command: [echo, "{{inputs.parameters.m}}"]}
`,
		"steps-fail-retry-exit": `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: fails}
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    steps:
    - - {name: each, template: ok, withItems: [1, 2, 3]}
    - - {name: bad, template: bad}
  - name: ok
    synchronization: {mutex: {name: m}}
    container: {image: x, command: ["true"]}
  - name: bad
    retryStrategy: {limit: 1}
    container: {image: x, command: [sh, -c, "exit 3"]}
  - name: bye
    container: {image: x, command: ["true"]}
`,
	}
	for name, text := range manifests {
		sub, err := l.Engine.Submit(ctx, testkit.ParseWorkflow(t, text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		uid := sub.Metadata.UID
		kept := engine.KeptFinal(l.Engine, uid)
		got, err := l.Engine.Wait(ctx, uid)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !kept() {
			t.Fatalf("%s: the run did not keep its final workflow: this test compares nothing", name)
		}
		var stored []byte
		var storedWF *wfv1.Workflow
		err = l.Store.View(ctx, func(tx store.Tx) error {
			wf, err := tx.GetWorkflowByUID(ctx, uid)
			if err != nil {
				return err
			}
			storedWF = wf
			stored, err = json.Marshal(wf)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(stored) {
			t.Fatalf("%s: Wait returned\n%s\nthe store holds\n%s", name, b, stored)
		}
		// The same value too, nil where the store's is nil: a caller
		// reading Go values sees no difference either.
		if !reflect.DeepEqual(got, storedWF) {
			t.Fatalf("%s: Wait returned the store's JSON but not its value (empty against nil)", name)
		}
		if len(got.Status.Nodes) < 3 {
			t.Fatalf("%s: %d nodes: the workflow did not run", name, len(got.Status.Nodes))
		}
		// A copy: changing it changes nothing Wait returns next.
		got.Status.Phase = "changed"
		again, err := l.Engine.Wait(ctx, uid)
		if err != nil || again.Status.Phase == "changed" {
			t.Fatalf("%s: Wait handed out its own copy (err %v)", name, err)
		}
	}
}

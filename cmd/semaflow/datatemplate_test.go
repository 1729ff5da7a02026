package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A data template lists the files of a directory artifact a step made,
// filters the list with Argo's expressions, and a later step fans out
// over the result, reading each file by its key: Argo's
// data-transformations example, with the local repository.
func TestDataTemplateListsAndFilters(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: data-tmpl}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: list
        template: list-csv
        arguments: {artifacts: [{name: files, from: "{{steps.gen.outputs.artifacts.files}}"}]}
    - - name: process
        template: process
        withParam: "{{steps.list.outputs.result}}"
        arguments:
          artifacts: [{name: file, s3: {key: "{{item}}"}}]
  - name: gen
    container:
      image: alpine
      command: [sh, -c, "mkdir -p /tmp/out/sub && echo one > /tmp/out/a.csv && echo skip > /tmp/out/b.txt && echo three > /tmp/out/sub/c.csv"]
    outputs: {artifacts: [{name: files, path: /tmp/out, archive: {none: {}}}]}
  - name: list-csv
    inputs: {artifacts: [{name: files}]}
    data:
      source:
        artifactPaths: {name: files, from: "{{inputs.artifacts.files}}"}
      transformation:
      - expression: 'filter(data, {# endsWith ".csv"})'
  - name: process
    inputs: {artifacts: [{name: file, path: /tmp/file}]}
    container: {image: alpine, command: [cat, /tmp/file]}
`)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	gen := nodeByDisplayName(t, wf, "gen")
	list := nodeByDisplayName(t, wf, "list")
	var keys []string
	if err := json.Unmarshal([]byte(result(list)), &keys); err != nil {
		t.Fatalf("list's result %q is not a JSON list: %v", result(list), err)
	}
	prefix := "data-tmpl/" + gen.ID + "/out/"
	if want := []string{prefix + "a.csv", prefix + "sub/c.csv"}; !slices.Equal(keys, want) || list.Type != "Pod" {
		t.Fatalf("list (%s) gave %q, want %q", list.Type, keys, want)
	}
	var read []string
	for _, n := range wf.Status.Nodes {
		if strings.HasPrefix(n.DisplayName, "process(") && n.Type == "Pod" {
			read = append(read, result(n))
		}
	}
	slices.Sort(read)
	if !slices.Equal(read, []string{"one", "three"}) {
		t.Fatalf("the fan-out read %q, want one and three", read)
	}
}

// A transformation that fails fails the node with Argo's words and the
// expression's place; a source with nothing stored under it is an empty
// list, as Argo's listing of an empty prefix is.
func TestDataTemplateErrors(t *testing.T) {
	wf, _ := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: data-bad}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: empty, template: empty}
      - {name: bad, template: bad}
  - name: empty
    data:
      source: {artifactPaths: {name: none, s3: {key: "{{workflow.name}}/nothing-here"}}}
      transformation: [{expression: "map(data, {# + '!'})"}]
  - name: bad
    data:
      source: {artifactPaths: {name: none, s3: {key: "{{workflow.name}}/nothing-here"}}}
      transformation: [{expression: "data"}, {expression: "data + 1"}]
`)
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("workflow %s: %s", wf.Status.Phase, wf.Status.Message)
	}
	if n := nodeByDisplayName(t, wf, "empty"); n.Phase != wfv1.PhaseSucceeded || result(n) != "[]" {
		t.Fatalf("empty: %s %q, result %q", n.Phase, n.Message, result(n))
	}
	if n := nodeByDisplayName(t, wf, "bad"); n.Phase != wfv1.PhaseFailed || !strings.Contains(n.Message, "transformation 2") {
		t.Fatalf("bad: %s %q", n.Phase, n.Message)
	}
}

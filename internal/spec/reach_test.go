package spec

import (
	"sort"
	"strings"
	"testing"
)

func TestDocLocksFindsEveryLock(t *testing.T) {
	f := Parse("t.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib, namespace: team-a}
spec:
  templates:
  - name: t
    synchronization: {mutexes: [{name: lib-lock, namespace: team-c}]}
    container: {image: x}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: w, namespace: team-a}
spec:
  entrypoint: main
  synchronization:
    mutexes: [{name: own}, {name: "n", namespace: "{{workflow.namespace}}"}, {name: x, namespace: "{{workflow.parameters.ns}}"}]
  templates:
  - name: main
    steps:
    - - name: a
        inline:
          synchronization: {semaphores: [{namespace: team-b, configMapKeyRef: {name: cm, key: k}}]}
          container: {image: x}
      - {name: b, templateRef: {name: lib, template: t}}
`), Options{})
	set := NewSet(f)
	var got []string
	for _, u := range DocLocks(f.Docs[1], set) {
		s := u.Namespace + " " + u.Key
		if u.Templated {
			s = "templated " + u.Field
		}
		got = append(got, s)
	}
	sort.Strings(got)
	want := []string{
		"team-a team-a/Mutex/n",
		"team-a team-a/Mutex/own",
		"team-b team-b/ConfigMap/cm/k",
		"team-c team-c/Mutex/lib-lock",
		"templated spec.synchronization.mutexes[2].namespace",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("locks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

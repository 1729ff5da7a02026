package spec

import (
	"strings"
	"testing"
)

// What an http template, a data template or a containerSet asks that semaflow cannot do,
// or that Argo refuses, is a lint error at the field.
func TestHTTPAndContainerSetLint(t *testing.T) {
	cases := []struct {
		body, path, want string
	}{
		{`http: {url: "http://x/", headers: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]}`,
			"headers[0].valueFrom", "secretKeyRef needs a Kubernetes secret"},
		{`http: {url: "http://x/", timeoutSeconds: 9999}`, "timeoutSeconds", "1 to 600"},
		{`http: {url: ""}`, "url", "needs a url"},
		{`data: {transformation: [{expression: data}]}`, "data", "data.source.artifactPaths is required"},
		{`data: {source: {artifactPaths: {name: a, s3: {key: k}}}, transformation: [{expression: ""}]}`, "data", "data.transformation[0] has no expression"},
		{`data: {source: {artifactPaths: {name: a, s3: {key: k}}}, transformation: [{expression: "filter(data"}]}`, "data.transformation[0].expression", "unexpected"},
		{`data: {source: {artifactPaths: {name: a}}}`, "data.source.artifactPaths", "names no artifact to list"},
		{`containerSet: {containers: []}`, "containers", "at least one container"},
		{`containerSet: {containers: [{name: a, image: x}, {name: a, image: x}]}`, "containers[1].name", "twice"},
		{`containerSet: {containers: [{name: a, image: x, dependencies: [b]}]}`, "containers[0].dependencies[0]", `"b" is not a container`},
		{`containerSet: {containers: [{name: a, image: x, dependencies: [b]}, {name: b, image: x, dependencies: [a]}]}`, "containers", "cycle"},
	}
	for _, c := range cases {
		d := lintString(t, wfHeader+"spec:\n  entrypoint: m\n  templates:\n  - name: m\n    "+c.body+"\n")
		found := false
		for _, x := range d {
			if x.Severity == SeverityError && strings.Contains(x.Message, c.want) && strings.HasSuffix(x.Path, c.path) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no error at ...%s saying %q; got:\n%v", c.body, c.path, c.want, d)
		}
	}
	ok := lintString(t, wfHeader+`spec:
  entrypoint: m
  templates:
  - name: m
    containerSet:
      containers:
      - {name: a, image: x}
      - {name: main, image: x, dependencies: [a]}
  - name: h
    http: {url: "http://x/", timeoutSeconds: 5, headers: [{name: A, value: b}]}
  - name: d
    inputs: {artifacts: [{name: files}]}
    data:
      source: {artifactPaths: {name: files, from: "{{inputs.artifacts.files}}"}}
      transformation: [{expression: 'filter(data, {# endsWith ".csv"})'}, {expression: "map(data, {# + '.ready'})"}]
  - name: k
    data: {source: {artifactPaths: {name: f, s3: {key: "{{workflow.name}}/logs"}}}}
`)
	if ok.HasErrors() {
		t.Fatalf("valid templates: %v", ok)
	}
}

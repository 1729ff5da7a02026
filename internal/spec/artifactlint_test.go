package spec

import (
	"strings"
	"testing"
)

// artTmpl is a workflow whose entry template main runs a container with
// the given outputs and inputs artifacts (YAML flow lists).
func artTmpl(outputs, inputs string) string {
	return wfWith("  templates:\n  - name: main\n    container: {image: a, command: [echo]}\n" +
		"    outputs: {artifacts: " + orDefault(outputs, "[]") + "}\n" +
		"    inputs: {artifacts: " + orDefault(inputs, "[]") + "}\n")
}

// TestArtifactLint: each artifact field that would send an artifact
// elsewhere, lose it or fail at run time is an error naming the field
// (hxA findings 6 and 10).
func TestArtifactLint(t *testing.T) {
	cases := []struct {
		name, src, path, says string
	}{
		{"gcs output", artTmpl(`[{name: o, path: /tmp/o, gcs: {bucket: b, key: k}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].gcs", "not stored in gcs"},
		{"azure output", artTmpl(`[{name: o, path: /tmp/o, azure: {container: c, blob: b}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].azure", "azure"},
		{"http output", artTmpl(`[{name: o, path: /tmp/o, http: {url: "http://x/put"}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].http", "http"},
		{"oss output", artTmpl(`[{name: o, path: /tmp/o, oss: {key: k}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].oss", "oss"},
		{"hdfs output", artTmpl(`[{name: o, path: /tmp/o, hdfs: {path: /x}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].hdfs", "hdfs"},
		{"artifactory output", artTmpl(`[{name: o, path: /tmp/o, artifactory: {url: "http://x"}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].artifactory", "artifactory"},
		{"git output", artTmpl(`[{name: o, path: /tmp/o, git: {repo: "http://x/y"}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].git", "git"},
		{"zip archive", artTmpl(`[{name: o, path: /tmp/o, archive: {zip: {}}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].archive.zip", "zip"},
		{"duplicate output", artTmpl(`[{name: d, path: /tmp/a}, {name: d, path: /tmp/b}]`, ""),
			"spec.templates[0].outputs.artifacts[1].name", "twice"},
		{"duplicate input", artTmpl("", `[{name: d, path: /tmp/a, raw: {data: x}}, {name: d, path: /tmp/b, raw: {data: y}}]`),
			"spec.templates[0].inputs.artifacts[1].name", "twice"},
		{"gc strategy", artTmpl(`[{name: o, path: /tmp/o, artifactGC: {strategy: Sometimes}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].artifactGC.strategy", "Sometimes"},
		{"workflow gc strategy", wfWith("  artifactGC: {strategy: Sometimes}\n" + mainTmpl),
			"spec.artifactGC.strategy", "Sometimes"},
		{"archiveLocation gcs", wfWith("  templates:\n  - name: main\n    archiveLocation: {archiveLogs: true, gcs: {bucket: b, key: k}}\n    container: {image: a, command: [echo]}\n"),
			"spec.templates[0].archiveLocation.gcs", "gcs"},
		{"main-logs beside archived logs", wfWith("  archiveLogs: true\n  templates:\n  - name: main\n    container: {image: a, command: [echo]}\n    outputs: {artifacts: [{name: main-logs, path: /tmp/o}]}\n"),
			"spec.templates[0].outputs.artifacts[0].name", "main-logs"},
		{"s3 key dotdot", artTmpl(`[{name: o, path: /tmp/o, s3: {key: "../x"}}]`, ""),
			"spec.templates[0].outputs.artifacts[0].s3.key", "leave the repository"},
		{"s3 key absolute", artTmpl("", `[{name: i, path: /tmp/i, s3: {key: "/abs"}}]`),
			"spec.templates[0].inputs.artifacts[0].s3.key", "absolute"},
		{"subPath dotdot", artTmpl("", `[{name: i, path: /tmp/i, s3: {key: k}, subPath: "../../etc"}]`),
			"spec.templates[0].inputs.artifacts[0].subPath", "subPath"},
		{"git option repo", artTmpl("", `[{name: i, path: /tmp/i, git: {repo: "--upload-pack=x"}}]`),
			"spec.templates[0].inputs.artifacts[0].git.repo", "option"},
		{"git ext transport", artTmpl("", `[{name: i, path: /tmp/i, git: {repo: "ext::sh -c x"}}]`),
			"spec.templates[0].inputs.artifacts[0].git.repo", "ext::"},
		{"git option revision", artTmpl("", `[{name: i, path: /tmp/i, git: {repo: "http://x/y", revision: "--output=/tmp/x"}}]`),
			"spec.templates[0].inputs.artifacts[0].git.revision", "option"},
		{"http ftp", artTmpl("", `[{name: i, path: /tmp/i, http: {url: "ftp://x/y"}}]`),
			"spec.templates[0].inputs.artifacts[0].http.url", "ftp"},
		{"proc path", artTmpl("", `[{name: i, path: /proc/self/x, raw: {data: x}}]`),
			"spec.templates[0].inputs.artifacts[0].path", "/proc"},
		{"input without path", artTmpl("", `[{name: i, raw: {data: x}}]`),
			"spec.templates[0].inputs.artifacts[0].path", "no path"},
		{"roleARN", artTmpl("", `[{name: i, path: /tmp/i, s3: {key: k, roleARN: arn}}]`),
			"spec.templates[0].inputs.artifacts[0].s3.roleARN", "roleARN"},
		{"repository ref with slash", wfWith("  artifactRepositoryRef: {configMap: team-a/artifact-repositories}\n" + mainTmpl),
			"spec.artifactRepositoryRef.configMap", "ConfigMap name"},
		{"unknown http field", artTmpl("", `[{name: i, path: /tmp/i, http: {url: "http://x/y", bogus: 1, other: 2}}]`),
			"spec.templates[0].inputs.artifacts[0].http.other", "unknown field"},
		{"from unknown artifact", wfWith(`  templates:
  - name: main
    steps:
    - - {name: a, template: a}
    - - name: b
        template: b
        arguments: {artifacts: [{name: in, from: "{{steps.a.outputs.artifacts.nosuch}}"}]}
  - name: a
    container: {image: a, command: [echo]}
    outputs: {artifacts: [{name: out, path: /tmp/out}]}
  - name: b
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: a, command: [echo]}
`), "spec.templates[0].steps[1][0].arguments.artifacts[0].from", "nosuch"},
		{"malformed fromExpression", wfWith(`  templates:
  - name: main
    steps:
    - - {name: a, template: a}
    - - name: b
        template: b
        arguments: {artifacts: [{name: in, fromExpression: "steps.a.outputs.artifacts.out ?"}]}
  - name: a
    container: {image: a, command: [echo]}
    outputs: {artifacts: [{name: out, path: /tmp/out}]}
  - name: b
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: a, command: [echo]}
`), "spec.templates[0].steps[1][0].arguments.artifacts[0].fromExpression", "fromExpression"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			diags := lintString(t, c.src)
			for _, d := range diags {
				if d.Severity == SeverityError && d.Path == c.path && strings.Contains(d.Message, c.says) {
					return
				}
			}
			t.Errorf("want an error at %s saying %q, got:\n%s", c.path, c.says, diags.Error())
		})
	}
}

// TestUnknownObjectFieldsAllReported: every unknown field of an http or
// git artifact is reported, and lint goes on to the rest of the file.
func TestUnknownObjectFieldsAllReported(t *testing.T) {
	diags := lintString(t, artTmpl("", `[{name: i, path: /tmp/i, git: {repo: "http://x/y", bogus: 1, other: 2}}, {name: j, path: /proc/x, raw: {data: x}}]`))
	want := []string{"git.bogus", "git.other", "artifacts[1].path"}
	for _, w := range want {
		found := false
		for _, d := range diags {
			if d.Severity == SeverityError && strings.HasSuffix(d.Path, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("want an error at ...%s, got:\n%s", w, diags.Error())
		}
	}
}

// TestArtifactLintPlaceholdersPass: placeholders are checked at run
// time, and the supported forms lint clean.
func TestArtifactLintPlaceholdersPass(t *testing.T) {
	src := artTmpl(`[{name: o, path: /tmp/o, s3: {key: "{{workflow.name}}/o"}, archive: {none: {}}}, {name: p, path: /tmp/p, archive: {tar: {}}, artifactGC: {strategy: OnWorkflowDeletion}}]`,
		`[{name: i, path: /tmp/i, s3: {key: "{{workflow.parameters.k}}"}, subPath: "a/b"}, {name: g, path: /tmp/g, git: {repo: "https://x/y", revision: "main"}}, {name: h, path: /tmp/h, http: {url: "https://x/y"}}]`)
	src = strings.Replace(src, "spec:\n", "spec:\n  arguments: {parameters: [{name: k, value: x}]}\n", 1)
	for _, d := range lintString(t, src) {
		if d.Severity == SeverityError {
			t.Errorf("unexpected error: %s", d)
		}
	}
}

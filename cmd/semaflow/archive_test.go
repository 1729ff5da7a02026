package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const archivedManifest = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: nightly
  labels: {team: blue}
spec:
  entrypoint: main
  ttlStrategy: {secondsAfterCompletion: 0}
  arguments:
    parameters: [{name: who, value: first}]
  templates:
  - name: main
    inputs:
      parameters: [{name: who}]
    container: {image: alpine, command: [echo, "hello {{inputs.parameters.who}}"]}
`

// waitLiveGone waits until the server no longer lists name: its
// ttlStrategy deleted it.
func waitLiveGone(t *testing.T, url, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := httpDo(t, "GET", url+"/api/v1/workflows/default/"+name, "", ""); code == 404 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still listed: its ttlStrategy should have deleted it", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func archivedJSON(t *testing.T, url, name string) map[string]any {
	t.Helper()
	out, code := run(t, "archive", "get", name, "--server", url, "-o", "json")
	if code != 0 {
		t.Fatalf("archive get %s: exit %d: %s", name, code, out)
	}
	var wf map[string]any
	if err := json.Unmarshal([]byte(out), &wf); err != nil {
		t.Fatalf("archive get -o json: %v: %s", err, out)
	}
	return wf
}

// A workflow that ttlStrategy deleted stays in the archive: `semaflow
// archive` lists it, shows it (by name), resubmits it with a new
// parameter (the new one is archived in turn) and deletes it.
func TestArchiveAfterTTLDeletion(t *testing.T) {
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "a.db"), "--archive-ttl", "30d")
	file := writeFile(t, "nightly.yaml", archivedManifest)
	if out, code := run(t, "submit", file, "--server", s.url); code != 0 {
		t.Fatalf("submit: exit %d: %s", code, out)
	}
	waitLiveGone(t, s.url, "nightly")

	out, code := run(t, "archive", "list", "--server", s.url, "-l", "team=blue")
	if code != 0 || !regexp.MustCompile(`default\s+nightly\s+Succeeded`).MatchString(out) {
		t.Fatalf("archive list: exit %d:\n%s", code, out)
	}
	wf := archivedJSON(t, s.url, "nightly")
	st, _ := wf["status"].(map[string]any)
	if st["phase"] != "Succeeded" || len(st["nodes"].(map[string]any)) == 0 {
		t.Fatalf("archived nightly: %v, want Succeeded with its nodes", st)
	}

	out, code = run(t, "archive", "resubmit", "nightly", "-p", "who=again", "--server", s.url)
	m := regexp.MustCompile(`resubmitted as (nightly-\w+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("archive resubmit: exit %d: %s", code, out)
	}
	waitLiveGone(t, s.url, m[1])
	again := archivedJSON(t, s.url, m[1])
	ast, _ := again["status"].(map[string]any)
	spec, _ := json.Marshal(again["spec"])
	if ast["phase"] != "Succeeded" || !strings.Contains(string(spec), `"value":"again"`) {
		t.Fatalf("the resubmitted workflow %s: phase %v, spec %s; want Succeeded with who=again", m[1], ast["phase"], spec)
	}

	if out, code := run(t, "archive", "delete", "nightly", "--server", s.url); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("archive delete: exit %d: %s", code, out)
	}
	if out, code := run(t, "archive", "get", "nightly", "--server", s.url); code == 0 || !strings.Contains(out, "no archived workflow is named nightly") {
		t.Fatalf("archive get after delete: exit %d: %s", code, out)
	}
	if out, _ := run(t, "archive", "list", "--server", s.url, "-o", "name"); strings.TrimSpace(out) != m[1] {
		t.Fatalf("archive list after delete: %q, want only %s", out, m[1])
	}
}

// --archive-ttl removes archived workflows that long after they ended;
// a malformed value is refused before the server starts.
func TestArchiveTTL(t *testing.T) {
	if out, code := run(t, "server", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "x.db"), "--archive-ttl", "soon"); code == 0 ||
		!strings.Contains(out, `--archive-ttl "soon"`) {
		t.Fatalf("a bad --archive-ttl: exit %d: %s", code, out)
	}
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "b.db"), "--archive-ttl", "2s")
	file := writeFile(t, "nightly.yaml", archivedManifest)
	if out, code := run(t, "submit", file, "--server", s.url); code != 0 {
		t.Fatalf("submit: exit %d: %s", code, out)
	}
	waitLiveGone(t, s.url, "nightly")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, code := run(t, "archive", "list", "--server", s.url, "-o", "name")
		if code != 0 {
			t.Fatalf("archive list: exit %d: %s", code, out)
		}
		if strings.TrimSpace(out) == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive still holds %q long past --archive-ttl 2s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// --count N on a workflow with a fixed metadata.name runs N copies named
// <name>-1..<name>-N (it used to hang on the second copy's name clash).
func TestRunCountNamesCopiesOfAFixedName(t *testing.T) {
	f := writeFile(t, "fixed.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: fixed}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [\"true\"]}}\n")
	out, code := runWithin(t, 60*time.Second, "run", "-o", "json", "--count", "3", f)
	if code != 0 {
		t.Fatalf("run --count 3 on a fixed name: exit %d\n%s", code, out)
	}
	var names []string
	start := strings.Index(out, "{")
	if start < 0 {
		t.Fatalf("no workflow printed:\n%s", out)
	}
	dec := json.NewDecoder(strings.NewReader(out[start:]))
	for dec.More() {
		var wf finalWF
		if err := dec.Decode(&wf); err != nil {
			t.Fatalf("decoding %q: %v", out, err)
		}
		if wf.Status.Phase != "Succeeded" {
			t.Errorf("%s: %s", wf.Metadata.Name, wf.Status.Phase)
		}
		names = append(names, wf.Metadata.Name)
	}
	if got := strings.Join(names, ","); got != "fixed-1,fixed-2,fixed-3" {
		t.Fatalf("copies named %s, want fixed-1,fixed-2,fixed-3", got)
	}
	// One copy keeps the name as written.
	if out, code := runWithin(t, 60*time.Second, "run", "--plain", f); code != 0 || !strings.Contains(out, "fixed") || strings.Contains(out, "fixed-1") {
		t.Fatalf("run without --count: exit %d\n%s", code, out)
	}
}

// A copy's name that would pass the DNS-1123 limit is refused before
// anything runs, naming the workflow.
func TestRunCountRefusesCopyNamesTooLong(t *testing.T) {
	name := strings.Repeat("a", 252)
	marker := filepath.Join(t.TempDir(), "ran")
	f := writeFile(t, "long.yaml", fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: %s}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [touch, %s]}}\n", name, marker))
	out, code := runWithin(t, 60*time.Second, "run", "--plain", "--count", "2", f)
	if code != 1 || !strings.Contains(out, "--count 2") || !strings.Contains(out, "aaaa") || !strings.Contains(out, "253") || !strings.Contains(out, "nothing was run") {
		t.Fatalf("run --count 2 on a 252-character name: exit %d, want 1 and a refusal naming the workflow and the limit:\n%s", code, out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a step ran although the run was refused")
	}
}

// Two documents with one fixed metadata.name are refused before anything
// is submitted, naming both documents: they used to be caught only once
// every copy of the first had started, which then were all killed.
func TestRunCountRefusesDuplicateFixedNames(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	doc := fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [touch, %s]}}\n", marker)
	f := writeFile(t, "dup.yaml", doc+"---\n"+doc)
	other := writeFile(t, "other.yaml", strings.Replace(doc, "name: a}", "name: a, namespace: elsewhere}", 1))
	out, code := runWithin(t, 60*time.Second, "run", "--plain", "--count", "50", f, other)
	if code != 1 || !strings.Contains(out, `"a"`) || !strings.Contains(out, f+" document 1") || !strings.Contains(out, f+" document 2") ||
		!strings.Contains(out, "nothing was run") || strings.Contains(out, "elsewhere") {
		t.Fatalf("run --count 50 on two documents named a: exit %d, want 1 and a refusal naming both documents:\n%s", code, out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a step ran although the run was refused")
	}
}

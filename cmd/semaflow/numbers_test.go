package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// numbersWorkflow loops over integers past a float64's precision and a
// signed zero, from withItems, withParam and an unquoted parameter.
const numbersWorkflow = `{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "nums"},
  "spec": {"entrypoint": "m", "arguments": {"parameters": [{"name": "a", "value": 9007199254740993},
      {"name": "ids", "value": "[9007199254740993, 1234567890123456789, -0, {\"id\": 9007199254740993}]"}]},
    "templates": [{"name": "m", "steps": [[
      {"name": "q", "template": "t", "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]},
        "withItems": [-0.0, 12345678901234567890, 9007199254740993, {"k": -0.0, "n": 9007199254740993}]},
      {"name": "p", "template": "t", "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]},
        "withParam": "{{workflow.parameters.ids}}"}]]},
      {"name": "t", "inputs": {"parameters": [{"name": "i"}]},
        "container": {"image": "x", "command": ["echo", "I={{inputs.parameters.i}} A={{workflow.parameters.a}}"]}}]}}`

var (
	numbersLine = regexp.MustCompile(`(?m)([pq]\(\d+:[^)]*\)): (I=.*)$`)
	numbersText = regexp.MustCompile(`(?m): (I=.*)$`)
)

// sortedMatches is group n of re's matches in s, sorted.
func sortedMatches(re *regexp.Regexp, s string, n int) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[n])
	}
	slices.Sort(out)
	return out
}

// The same workflow gives the same items, node names and parameter
// values through `semaflow run` and through the REST API, and both keep
// every number as written.
func TestNumbersSameThroughRunAndREST(t *testing.T) {
	f := writeFile(t, "nums.json", numbersWorkflow)
	ranOut := mustRun(t, 0, "run", "--log", "--plain", "--db", filepath.Join(t.TempDir(), "run.db"), f)
	ran := sortedMatches(numbersLine, ranOut, 0)
	for _, want := range []string{"q(0:-0): I=-0 A=9007199254740993", "q(2:9007199254740993): I=9007199254740993 A=9007199254740993",
		"q(1:12345678901234567890): I=12345678901234567890 A=9007199254740993",
		"p(0:9007199254740993): I=9007199254740993 A=9007199254740993",
		"p(1:1234567890123456789): I=1234567890123456789 A=9007199254740993",
		"p(3:id:9007199254740993): I={\"id\":9007199254740993} A=9007199254740993"} {
		if !slices.Contains(ran, want) {
			t.Errorf("run's output lacks %q:\n%s", want, ranOut)
		}
	}

	s := startServer(t, "--db", filepath.Join(t.TempDir(), "server.db"))
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", `{"workflow": `+numbersWorkflow+`}`); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for wfPhase(t, s.url, "nums") != "Succeeded" {
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s through the API, want Succeeded", wfPhase(t, s.url, "nums"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	servedOut := mustRun(t, 0, "logs", "nums", "--server", s.url)
	ranText, servedText := sortedMatches(numbersLine, ranOut, 2), sortedMatches(numbersText, servedOut, 1)
	if len(ranText) != 8 || !slices.Equal(ranText, servedText) {
		t.Errorf("run's output:\n%s\nthrough the API:\n%s", strings.Join(ranText, "\n"), strings.Join(servedText, "\n"))
	}
	_, wf := httpDo(t, "GET", s.url+"/api/v1/workflows/default/nums", "", "")
	var servedNames []string
	nodes, _ := wf["status"].(map[string]any)["nodes"].(map[string]any)
	for _, n := range nodes {
		if name, _ := n.(map[string]any)["displayName"].(string); strings.HasPrefix(name, "p(") || strings.HasPrefix(name, "q(") {
			servedNames = append(servedNames, name)
		}
	}
	slices.Sort(servedNames)
	if ranNames := sortedMatches(numbersLine, ranOut, 1); !slices.Equal(ranNames, servedNames) {
		t.Errorf("run's nodes %v, through the API %v", ranNames, servedNames)
	}
}

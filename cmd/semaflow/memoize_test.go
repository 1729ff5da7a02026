package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// memoizeWF's step work is memoized under work-<key> for maxAge <age>:
// each time it runs it appends a line to mark and prints a value unique
// to the run; step show echoes that value.
func memoizeWF(mark string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: memo-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: key, value: k1}, {name: age, value: 1h}]}
  templates:
  - name: main
    steps:
    - - name: work
        template: work
        arguments: {parameters: [{name: key, value: "{{workflow.parameters.key}}"}]}
    - - name: show
        template: show
        arguments: {parameters: [{name: v, value: "{{steps.work.outputs.result}} {{steps.work.outputs.parameters.out}}"}]}
  - name: work
    inputs: {parameters: [{name: key}]}
    memoize:
      key: "work-{{inputs.parameters.key}}"
      maxAge: "{{workflow.parameters.age}}"
      cache: {configMap: {name: work-cache}}
    outputs:
      parameters: [{name: out, valueFrom: {path: /tmp/out}}]
    container:
      image: alpine
      command: [sh, -c, "echo ran >> ` + mark + `; v=$(date +%s%N); echo param-$v > /tmp/out; echo result-$v"]
  - name: show
    inputs: {parameters: [{name: v}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.v}}"]}
`
}

type memoNode struct {
	Name, Phase       string
	MemoizationStatus *struct {
		Hit            bool
		Key, CacheName string
	}
	Inputs *struct {
		Parameters []struct{ Name, Value string }
	}
}

// memoRun runs the workflow once with --db and returns work's and show's
// nodes.
func memoRun(t *testing.T, db, wf string, params ...string) (work, show memoNode) {
	t.Helper()
	args := []string{"run", "-o", "json", "--db", db, "--plain"}
	for _, p := range params {
		args = append(args, "-p", p)
	}
	out, code := run(t, append(args, wf)...)
	if code != 0 {
		t.Fatalf("run %v: exit %d\n%s", params, code, out)
	}
	// The JSON document is the last thing printed.
	var doc struct {
		Status struct {
			Phase string
			Nodes map[string]memoNode
		}
	}
	i := strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("run %v printed no workflow:\n%s", params, out)
	}
	if err := json.NewDecoder(strings.NewReader(out[i:])).Decode(&doc); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	for _, n := range doc.Status.Nodes {
		switch {
		case strings.HasSuffix(n.Name, ".work"):
			work = n
		case strings.HasSuffix(n.Name, ".show"):
			show = n
		}
	}
	if doc.Status.Phase != "Succeeded" || work.Name == "" || show.Inputs == nil || len(show.Inputs.Parameters) != 1 {
		t.Fatalf("run %v: %s, work %+v, show %+v\n%s", params, doc.Status.Phase, work, show, out)
	}
	return work, show
}

func runsOf(t *testing.T, mark string) int {
	t.Helper()
	b, err := os.ReadFile(mark)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "ran\n")
}

// Two runs of a workflow with a memoized step on one database: the second
// does not run the step and shows the same outputs; another key runs it,
// and so does an entry older than maxAge. The cache is a ConfigMap in the
// store, labelled and laid out as Argo's.
func TestMemoizeAcrossRuns(t *testing.T) {
	mark := syncLog(t)
	db := filepath.Join(t.TempDir(), "memo.db")
	wf := writeFile(t, "memo.yaml", memoizeWF(mark))

	work1, show1 := memoRun(t, db, wf)
	if runsOf(t, mark) != 1 || work1.MemoizationStatus == nil || work1.MemoizationStatus.Hit ||
		work1.MemoizationStatus.Key != "work-k1" || work1.MemoizationStatus.CacheName != "work-cache" {
		t.Fatalf("first run: %d runs, work %+v", runsOf(t, mark), work1.MemoizationStatus)
	}
	v1 := show1.Inputs.Parameters[0].Value
	if !strings.HasPrefix(v1, "result-") || !strings.Contains(v1, " param-") {
		t.Fatalf("show's input %q, want work's result and parameter", v1)
	}

	work2, show2 := memoRun(t, db, wf)
	if n := runsOf(t, mark); n != 1 || work2.MemoizationStatus == nil || !work2.MemoizationStatus.Hit || work2.Phase != "Succeeded" {
		t.Fatalf("second run: the step ran %d times in all, work %s %+v", n, work2.Phase, work2.MemoizationStatus)
	}
	if v2 := show2.Inputs.Parameters[0].Value; v2 != v1 {
		t.Fatalf("second run's output %q, want the first's %q", v2, v1)
	}

	work3, show3 := memoRun(t, db, wf, "key=k2")
	if n := runsOf(t, mark); n != 2 || work3.MemoizationStatus.Hit || work3.MemoizationStatus.Key != "work-k2" {
		t.Fatalf("another key: the step ran %d times in all, work %+v", n, work3.MemoizationStatus)
	}
	if show3.Inputs.Parameters[0].Value == v1 {
		t.Fatalf("another key got the first key's output %q", v1)
	}

	time.Sleep(2 * time.Second)
	work4, show4 := memoRun(t, db, wf, "age=1s")
	if n := runsOf(t, mark); n != 3 || work4.MemoizationStatus.Hit {
		t.Fatalf("expired entry: the step ran %d times in all, work %+v", n, work4.MemoizationStatus)
	}
	v4 := show4.Inputs.Parameters[0].Value
	// The expired entry was replaced: the next run hits the new one.
	_, show5 := memoRun(t, db, wf)
	if n := runsOf(t, mark); n != 3 || show5.Inputs.Parameters[0].Value != v4 {
		t.Fatalf("after the refresh: the step ran %d times in all, output %q, want %q", n, show5.Inputs.Parameters[0].Value, v4)
	}

	cm := storedCache(t, db, "work-cache")
	if cm.Metadata.Labels["workflows.argoproj.io/configmap-type"] != "Cache" || len(cm.Data) != 2 {
		t.Fatalf("cache ConfigMap %+v", cm)
	}
	var entry struct {
		NodeID            string `json:"nodeID"`
		Outputs           struct{ Result string }
		CreationTimestamp string `json:"creationTimestamp"`
		LastHitTimestamp  string `json:"lastHitTimestamp"`
	}
	if err := json.Unmarshal([]byte(cm.Data["work-k1"]), &entry); err != nil || entry.NodeID == "" ||
		!strings.HasPrefix(entry.Outputs.Result, "result-") || entry.CreationTimestamp == "" || entry.LastHitTimestamp == "" {
		t.Fatalf("entry work-k1 %s (%v)", cm.Data["work-k1"], err)
	}
}

type cacheCM struct {
	Metadata struct{ Labels map[string]string }
	Data     map[string]string
}

func storedCache(t *testing.T, db, name string) cacheCM {
	t.Helper()
	s, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var cm cacheCM
	err = s.View(t.Context(), func(tx store.Tx) error {
		o, err := tx.GetObject(t.Context(), store.ObjectKey{Kind: "ConfigMap", Namespace: "default", Name: name})
		if err != nil {
			return err
		}
		return json.Unmarshal(o.Doc, &cm)
	})
	if err != nil {
		t.Fatalf("cache %s: %v", name, err)
	}
	return cm
}

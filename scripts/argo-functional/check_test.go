package main

import (
	"strings"
	"testing"
)

func strp(s string) *string { return &s }

func sample() *workflow {
	w := &workflow{}
	w.Metadata.Name = "wf"
	w.Status.Phase = "Failed"
	w.Status.Message = "No more retries left"
	w.Status.Progress = "0/1"
	w.Status.Nodes = map[string]node{
		"wf":    {ID: "wf", Name: "wf", DisplayName: "wf", Type: "Retry", Phase: "Failed", Children: []string{"wf-1"}},
		"wf-1":  {ID: "wf-1", Name: "wf(0)", DisplayName: "wf(0)", Type: "Pod", Phase: "Failed"},
		"wf-g":  {ID: "wf-g", Name: "wf[0]", DisplayName: "[0]", Type: "StepGroup", Phase: "Failed"},
		"wf-ex": {ID: "wf-ex", Name: "wf.onExit", DisplayName: "wf.onExit", Type: "Pod", Phase: "Succeeded"},
	}
	n := w.Status.Nodes["wf-1"]
	n.Inputs = &struct {
		Parameters []param `json:"parameters"`
	}{Parameters: []param{{Name: "m", Value: strp("a=b")}}}
	w.Status.Nodes["wf-1"] = n
	return w
}

func TestChecksHoldAndFail(t *testing.T) {
	w := sample()
	hold := []string{
		"phase=Failed", "message~retries", "message<~No more retries left, really", "progress=0/1", "nodes=4", "nodes<=10",
		"node[root].type=Retry", "node[d:[0]].phase=Failed", "node[n:wf(0)].in.0=a=b", "node[n:wf(0)].inretry=true",
		"node[exit].phase=Succeeded", "node[d:{wf}.onExit]", "all[type:StepGroup|Steps].phase=Failed", "node[root].nodeflag=nil",
		"node[c:(0)].retried=false", "all[type:DAG].phase=Succeeded",
	}
	for _, c := range hold {
		if err := validCheck(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
		if ok, err := evalCheck(c, w, nil); !ok {
			t.Errorf("%s should hold: %v", c, err)
		}
	}
	fail := map[string]string{
		"phase=Succeeded":              `workflow phase is "Failed"`,
		"node[d:missing].phase=Failed": "no node matches",
		"all[type:Pod].phase=Failed":   `wf.onExit phase is "Succeeded"`,
		"node[n:wf(0)].in.3=x":         "no index 3",
		"memohit":                      "memoizationStatus",
	}
	for c, want := range fail {
		ok, err := evalCheck(c, w, nil)
		if ok || err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, %v; want an error with %q", c, ok, err, want)
		}
	}
}

func TestBadChecksAreRefused(t *testing.T) {
	for _, c := range []string{"phase", "colour=red", "node[x:y].phase=Failed", "node[d:a].size=1", "node[d:a", "node[d:a].in.x=1"} {
		if err := validCheck(c); err == nil {
			t.Errorf("%s: accepted", c)
		}
	}
}

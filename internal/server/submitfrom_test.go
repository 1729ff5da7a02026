package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// submitted is the part of a Workflow the submit tests look at.
type submitted struct {
	Metadata struct {
		Name         string            `json:"name"`
		GenerateName string            `json:"generateName"`
		Labels       map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Entrypoint string `json:"entrypoint"`
		Priority   *int   `json:"priority"`
		Arguments  struct {
			Parameters []struct{ Name, Value string } `json:"parameters"`
		} `json:"arguments"`
	} `json:"spec"`
}

const greetSpec = `{"entrypoint": "main", "arguments": {"parameters": [{"name": "who", "value": "nobody"}]},
  "templates": [{"name": "main", "container": {"image": "x", "command": ["echo", "hello {{workflow.parameters.who}}"]}},
                {"name": "alt", "container": {"image": "x", "command": ["echo", "alt {{workflow.parameters.who}}"]}}]}`

// setUpSources makes a WorkflowTemplate, a ClusterWorkflowTemplate and a
// (suspended) CronWorkflow in default, and a WorkflowTemplate in other.
func setUpSources(t *testing.T, c *apiClient) {
	t.Helper()
	for _, o := range []struct{ path, body string }{
		{"/api/v1/workflow-templates/default", `{"template": {"metadata": {"name": "greet"}, "spec": ` + greetSpec + `}}`},
		{"/api/v1/workflow-templates/other", `{"template": {"metadata": {"name": "theirs"}, "spec": ` + greetSpec + `}}`},
		{"/api/v1/cluster-workflow-templates", `{"template": {"metadata": {"name": "shared"}, "spec": ` + greetSpec + `}}`},
		{"/api/v1/cron-workflows/default", `{"cronWorkflow": {"metadata": {"name": "nightly"}, "spec": {"schedules": ["0 3 * * *"],
		   "suspend": true, "workflowMetadata": {"labels": {"team": "a"}}, "workflowSpec": ` + greetSpec + `}}}`},
	} {
		if code, out := c.do("POST", o.path, o.body); code != 200 {
			t.Fatalf("POST %s: %d %v", o.path, code, out)
		}
	}
}

// submitFrom posts the request `argo submit --from kind/name` sends.
func submitFrom(t *testing.T, c *apiClient, kind, name, opts string) (int, submitted, string) {
	t.Helper()
	body := fmt.Sprintf(`{"namespace":"default","resourceKind":%q,"resourceName":%q,"submitOptions":%s}`, kind, name, opts)
	code, b := argoDo(t, c, "POST", "/api/v1/workflows/default/submit", body)
	var wf submitted
	_ = json.Unmarshal(b, &wf)
	return code, wf, string(b)
}

// `argo submit --from` with each kind Argo takes, and the submit options
// the CLI sends.
func TestAPISubmitFrom(t *testing.T) {
	c := startAPI(t)
	setUpSources(t, c)
	for _, tc := range []struct{ kind, name, prefix, label string }{
		{"workflowtemplate", "greet", "greet-", "workflows.argoproj.io/workflow-template"},
		{"wftmpl", "greet", "greet-", "workflows.argoproj.io/workflow-template"},
		{"clusterworkflowtemplate", "shared", "shared-", "workflows.argoproj.io/cluster-workflow-template"},
		{"cwftmpl", "shared", "shared-", "workflows.argoproj.io/cluster-workflow-template"},
		{"cronwf", "nightly", "nightly-", "workflows.argoproj.io/cron-workflow"},
		{"CronWorkflow", "nightly", "nightly-", "workflows.argoproj.io/cron-workflow"},
	} {
		code, wf, raw := submitFrom(t, c, tc.kind, tc.name, `{"parameters":["who=`+tc.kind+`"]}`)
		if code != 200 || !strings.HasPrefix(wf.Metadata.Name, tc.prefix) || wf.Metadata.Labels[tc.label] != tc.name {
			t.Fatalf("submit --from %s/%s: %d %s", tc.kind, tc.name, code, raw)
		}
		c.waitPhase(wf.Metadata.Name, "Succeeded", 10*time.Second)
		code, b := argoDo(t, c, "GET", "/api/v1/workflows/default/"+wf.Metadata.Name+"/log?logOptions.container=main", "")
		if code != 200 || !strings.Contains(string(b), "hello "+tc.kind) {
			t.Fatalf("logs of %s: %d %s, want the parameter passed with -p", wf.Metadata.Name, code, b)
		}
		if tc.kind == "cronwf" && wf.Metadata.Labels["team"] != "a" {
			t.Fatalf("the cron's workflowMetadata labels are missing: %v", wf.Metadata.Labels)
		}
	}

	code, wf, raw := submitFrom(t, c, "workflowtemplate", "greet",
		`{"name":"fixed","entryPoint":"alt","labels":"a=b,c=d","priority":5,"parameters":["who=opts"]}`)
	if code != 200 || wf.Metadata.Name != "fixed" || wf.Metadata.Labels["a"] != "b" || wf.Metadata.Labels["c"] != "d" ||
		wf.Spec.Entrypoint != "alt" || wf.Spec.Priority == nil || *wf.Spec.Priority != 5 {
		t.Fatalf("submit with options: %d %s", code, raw)
	}
	c.waitPhase("fixed", "Succeeded", 10*time.Second)
	if code, b := argoDo(t, c, "GET", "/api/v1/workflows/default/fixed/log?logOptions.container=main", ""); code != 200 || !strings.Contains(string(b), "alt opts") {
		t.Fatalf("logs of fixed: %d %s, want the alt entrypoint", code, b)
	}
	code, wf, raw = submitFrom(t, c, "workflowtemplate", "greet", `{"generateName":"custom-"}`)
	if code != 200 || !strings.HasPrefix(wf.Metadata.Name, "custom-") {
		t.Fatalf("submit with generateName: %d %s", code, raw)
	}

	// Dry runs answer the workflow and create nothing.
	before := len(listItems(t, c, "/api/v1/workflows/default"))
	for _, opts := range []string{`{"dryRun":true,"parameters":["who=dry"]}`, `{"serverDryRun":true,"parameters":["who=dry"]}`} {
		code, wf, raw := submitFrom(t, c, "workflowtemplate", "greet", opts)
		if code != 200 || !strings.HasPrefix(wf.Metadata.GenerateName+wf.Metadata.Name, "greet-") || !strings.Contains(raw, `"dry"`) {
			t.Fatalf("submit %s: %d %s", opts, code, raw)
		}
	}
	if after := len(listItems(t, c, "/api/v1/workflows/default")); after != before {
		t.Fatalf("dry runs created workflows: %d, then %d", before, after)
	}
}

// A hostile pass over `argo submit --from`: each request is refused with
// a message that says why, and no workflow is created.
func TestAPISubmitFromRefusals(t *testing.T) {
	c := startAPI(t)
	setUpSources(t, c)
	huge := strings.Repeat("x", 10<<20)
	for _, tc := range []struct {
		kind, name, opts string
		code             int
		want             string
	}{
		{"workflowtemplate", "theirs", `{}`, 404, "WorkflowTemplate default/theirs"},
		{"workflowtemplate", "missing", `{}`, 404, "WorkflowTemplate default/missing"},
		{"clusterworkflowtemplate", "missing", `{}`, 404, "ClusterWorkflowTemplate missing"},
		{"cronwf", "missing", `{}`, 404, "CronWorkflow default/missing"},
		{"pod", "greet", `{}`, 400, "Resource kind 'pod' is not supported for submitting"},
		{"workflowtemplate", "", `{}`, 400, "resourceName"},
		{"workflowtemplate", "greet", `{"parameters":["noequals"]}`, 400, "NAME=VALUE"},
		{"workflowtemplate", "greet", `{"labels":"a"}`, 400, "labels"},
		{"workflowtemplate", "greet", `{"labels":"a=b c"}`, 400, "label"},
		{"workflowtemplate", "greet", `{"entryPoint":"nope"}`, 400, "nope"},
		{"workflowtemplate", "greet", `{"name":"Bad_Name"}`, 400, "Bad_Name"},
		{"workflowtemplate", "greet", `{"priority":"high"}`, 400, "priority"},
		{"workflowtemplate", "greet", `{"artifacts":["a=b"]}`, 400, "artifacts"},
		{"workflowtemplate", "greet", `{"parameters":["who=` + huge + `"]}`, 413, "request body over"},
	} {
		code, _, raw := submitFrom(t, c, tc.kind, tc.name, tc.opts)
		if code != tc.code || !strings.Contains(raw, tc.want) {
			t.Errorf("submit --from %s/%s %.80s: %d %.300s, want %d saying %q", tc.kind, tc.name, tc.opts, code, raw, tc.code, tc.want)
		}
	}
	if n := len(listItems(t, c, "/api/v1/workflows/default")); n != 0 {
		t.Fatalf("refused submits created %d workflows", n)
	}
	if code, b := argoDo(t, c, "POST", "/api/v1/workflows/default/submit", `{"resourceKind":"workflowtemplate","resourceName":"greet","submitOptions":{"parameters":"who=x"}}`); code != 400 {
		t.Fatalf("parameters as a string: %d %s", code, b)
	}
}

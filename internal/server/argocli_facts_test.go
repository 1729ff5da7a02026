package server_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// What the argo CLI reads from an answer, as comparable lines ("facts"):
// a recorded answer and a replayed one must give the same facts once the
// recording's generated names are mapped to the replay's.

// stamp is an RFC 3339 time in a log line (argo logs --timestamps).
var stamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// terminal phases end the CLI's watch of a workflow (wait, watch, --wait).
var terminal = map[string]bool{"Succeeded": true, "Failed": true, "Error": true}

// isStream tells a server-sent-events answer (logs, workflow-events).
func isStream(answer string) bool { return strings.HasPrefix(answer, "data: ") }

// answerFacts reads an answer: a stream line by line, else one JSON value.
func answerFacts(answer string) []string {
	answer = strings.TrimSpace(answer)
	switch {
	case answer == "":
		return []string{"empty"}
	case isStream(answer):
		var out []string
		for l := range strings.SplitSeq(answer, "\n") {
			if l != "" && !strings.HasPrefix(l, ":") { // ":" starts an SSE comment
				out = append(out, streamFact(l))
			}
		}
		return out
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(answer), &v); err != nil {
		return []string{fmt.Sprintf("not one JSON object: %.80s", answer)}
	}
	return objectFacts(v)
}

// streamFact reads one line of a stream: the CLI's HTTP/1 client wants
// `data: {"result": ...}` and reads a log line's content, or a watch
// event's workflow name and phase.
func streamFact(line string) string {
	payload, ok := strings.CutPrefix(line, "data: ")
	if !ok {
		return fmt.Sprintf("unframed line: %.80s", line)
	}
	var ev struct {
		Result map[string]any `json:"result"`
	}
	if err := json.Unmarshal([]byte(payload), &ev); err != nil || ev.Result == nil {
		return fmt.Sprintf("no result: %.80s", payload)
	}
	if obj, ok := ev.Result["object"].(map[string]any); ok {
		if str(ev.Result, "type") == "" {
			return fmt.Sprintf("event without a type: %.80s", payload)
		}
		// Whether the last event is ADDED or MODIFIED is timing: the CLI
		// reads the workflow.
		return fmt.Sprintf("event %s %s", str(obj, "metadata", "name"), str(obj, "status", "phase"))
	}
	return "log " + stamp.ReplaceAllString(fmt.Sprint(ev.Result["content"]), "<time>")
}

// objectFacts reads an Argo error body, a list's items, or one object:
// its name, phase, entrypoint, arguments and, for a sync limit or the
// version, their fields.
func objectFacts(v map[string]any) []string {
	if _, ok := v["metadata"]; !ok {
		if code, ok := v["code"]; ok {
			return []string{fmt.Sprintf("error code %v: %v", code, v["message"])}
		}
		var out []string
		for _, k := range []string{"version", "key", "cmName", "type", "limit", "namespace"} {
			if x, ok := v[k]; ok {
				out = append(out, fmt.Sprintf("%s %v", k, x))
			}
		}
		return append(out, fmt.Sprintf("fields %d", len(v)))
	}
	if items, ok := v["items"].([]any); ok {
		out := []string{fmt.Sprintf("items %d", len(items))}
		for _, it := range items {
			obj, _ := it.(map[string]any)
			out = append(out, fmt.Sprintf("item %s %s", str(obj, "metadata", "name"), str(obj, "status", "phase")))
		}
		return out
	}
	out := []string{"name " + str(v, "metadata", "name"), "phase " + str(v, "status", "phase")}
	if str(v, "metadata", "creationTimestamp") != "" {
		out = append(out, "created")
	}
	spec, _ := v["spec"].(map[string]any)
	if ws, ok := spec["workflowSpec"].(map[string]any); ok { // a cron workflow
		out = append(out, fmt.Sprintf("schedules %v suspend %v", spec["schedules"], spec["suspend"]))
		spec = ws
	}
	out = append(out, "entrypoint "+str(spec, "entrypoint"))
	params, _ := mapAt(spec, "arguments")["parameters"].([]any)
	for _, p := range params {
		pm, _ := p.(map[string]any)
		out = append(out, fmt.Sprintf("parameter %v=%v", pm["name"], pm["value"]))
	}
	labels := mapAt(mapAt(v, "metadata"), "labels")
	for _, k := range []string{"team", "a", "x", "workflows.argoproj.io/workflow-template",
		"workflows.argoproj.io/cluster-workflow-template", "workflows.argoproj.io/cron-workflow", "workflows.argoproj.io/backfill"} {
		if l, ok := labels[k]; ok {
			out = append(out, fmt.Sprintf("label %s=%v", k, l))
		}
	}
	return out
}

// mapAt is v[k] as an object, nil when it is not one.
func mapAt(v map[string]any, k string) map[string]any {
	m, _ := v[k].(map[string]any)
	return m
}

// str is the string at the path of keys under v, "" when there is none.
func str(v map[string]any, path ...string) string {
	for _, k := range path[:len(path)-1] {
		v = mapAt(v, k)
	}
	s, _ := v[path[len(path)-1]].(string)
	return s
}

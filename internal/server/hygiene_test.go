package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A request body is taken as written or refused: a duplicate key (which
// value would win?) and invalid UTF-8 (silently replaced otherwise) are
// 400s that say what is wrong, in JSON and YAML bodies alike.
func TestAPIRefusesAmbiguousBodies(t *testing.T) {
	c := startAPI(t)
	spec := `"spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`
	for _, b := range []struct{ what, path, body, want string }{
		{"duplicate name", "/api/v1/workflows/default", `{"workflow": {"metadata": {"name": "a", "name": "b"}, ` + spec + `}}`, `duplicate key "name"`},
		{"duplicate workflow", "/api/v1/workflows/default", `{"workflow": {"metadata": {"name": "a"}, ` + spec + `}, "workflow": {}}`, `duplicate key "workflow"`},
		{"invalid UTF-8", "/api/v1/workflows/default", `{"workflow": {"metadata": {"name": "a", "annotations": {"x": "` + "\xff\xfe" + `"}}, ` + spec + `}}`, "UTF-8"},
		{"duplicate YAML key", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  k: \"1\"\n  k: \"2\"\n", "twice"},
		{"invalid UTF-8 in YAML", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  k: \"\xff\"\n", "UTF-8"},
		{"duplicate key in a retry", "/api/v1/workflows/default/a/retry", `{"restartSuccessful": true, "restartSuccessful": false}`, `duplicate key "restartSuccessful"`},
	} {
		method := "POST"
		if strings.HasSuffix(b.path, "/retry") {
			method = "PUT"
		}
		code, out := c.do(method, b.path, b.body)
		if msg := fmt.Sprint(out["message"]); code != 400 || !strings.Contains(msg, b.want) {
			t.Errorf("%s: %d %q, want 400 saying %q", b.what, code, msg, b.want)
		}
	}
	if code, out := c.do("GET", "/api/v1/workflows/default", ""); code != 200 || len(out["items"].([]any)) != 0 {
		t.Fatalf("a refused body was stored: %d %v", code, out)
	}
}

// A malformed continue token is the client's mistake (400), and a name
// clash says so once.
func TestAPIBadContinueAndNameClash(t *testing.T) {
	c := startAPI(t)
	for _, tok := range []string{"!!!", "bm90LWEtdG9rZW4"} {
		if code, out := c.do("GET", "/api/v1/workflows/default?listOptions.limit=1&listOptions.continue="+tok, ""); code != 400 ||
			!strings.Contains(fmt.Sprint(out["message"]), "continue") {
			t.Errorf("continue %q: %d %v, want 400", tok, code, out)
		}
	}
	ok := `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`
	c.submit("dup", ok)
	wf := `{"workflow": {"metadata": {"name": "dup"}, "spec": ` + ok + `}}`
	code, out := c.do("POST", "/api/v1/workflows/default", wf)
	msg := fmt.Sprint(out["message"])
	if code != 409 || strings.Count(msg, "default/dup") != 1 || strings.Count(msg, "already exists") != 1 {
		t.Fatalf("name clash: %d %q, want 409 naming the workflow once", code, msg)
	}
}

// The log of a step whose files are gone is not an empty success: the
// answer names the step. (A log file alone missing in its step's
// directory is a step that wrote nothing.)
func TestAPILogOfMissingFiles(t *testing.T) {
	c := startAPI(t)
	c.submit("gone", `{"entrypoint": "main", "templates": [
	  {"name": "main", "steps": [[{"name": "kept", "template": "say"}], [{"name": "lost", "template": "say"}]]},
	  {"name": "say", "script": {"image": "x", "command": ["sh"], "source": "echo said {{pod.name}}"}}]}`)
	c.waitPhase("gone", "Succeeded", 10e9)
	wf, err := c.local.Engine.Get(context.Background(), "default", "gone")
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.local.Engine.LogPaths(context.Background(), wf.Metadata.UID)
	if err != nil || len(paths) != 2 {
		t.Fatalf("log paths: %v %v", paths, err)
	}
	var lostID string
	for id, n := range wf.Status.Nodes {
		if n.DisplayName == "lost" {
			lostID = id
		}
	}
	if err := os.RemoveAll(filepath.Dir(paths[lostID])); err != nil {
		t.Fatal(err)
	}
	code, _, body := rawDo(t, c, "GET", "/api/v1/workflows/default/gone/log", "", nil)
	if code != 200 || !strings.Contains(body, "said") || !strings.Contains(body, "missing") || !strings.Contains(body, "lost") {
		t.Errorf("one log missing: %d %s, want the other's lines and a note naming the lost step", code, body)
	}
	for _, p := range paths {
		_ = os.RemoveAll(filepath.Dir(p))
	}
	code, _, body = rawDo(t, c, "GET", "/api/v1/workflows/default/gone/log", "", nil)
	if code == 200 || !strings.Contains(body, "missing") || !strings.Contains(body, "lost") || !strings.Contains(body, "kept") {
		t.Errorf("every log missing: %d %s, want an error naming the steps", code, body)
	}
	code, _, body = rawDo(t, c, "GET", "/api/v1/workflows/default/gone/log?podName="+lostID, "", nil)
	if code != 404 || !strings.Contains(body, "missing") {
		t.Errorf("the one log asked for is missing: %d %s, want 404", code, body)
	}
}

// A step that wrote nothing has no log file (it is made at the first
// byte): its log is empty, not missing.
func TestAPILogOfAQuietStepIsEmpty(t *testing.T) {
	c := startAPI(t)
	c.submit("quiet", `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`)
	c.waitPhase("quiet", "Succeeded", 10e9)
	code, _, body := rawDo(t, c, "GET", "/api/v1/workflows/default/quiet/log", "", nil)
	if code != 200 || strings.Contains(body, "missing") {
		t.Errorf("the log of a step that wrote nothing: %d %s, want 200 and no note", code, body)
	}
}

package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Two answers the recording cannot show: a known path with a method it
// does not take names the ones it does (no argo command sends one), and
// argo logs --since 1s leaves out a step that ended over 1s ago (the
// recording's --since 1h keeps them all).
func TestArgoCLIEdgesBeyondRecording(t *testing.T) {
	c := startAPI(t)
	code, hdr, b := send(t, http.DefaultClient, "PATCH", c.base+"/api/v1/workflows/default/x", "", nil)
	if code != 405 || hdr.Get("Allow") == "" || !strings.Contains(string(b), `"code":12`) {
		t.Fatalf("PATCH a workflow: %d %v %s", code, hdr.Get("Allow"), b)
	}
	var submit recorded
	for _, e := range loadRecording(t) {
		if e.Step == "submit" {
			submit = e
		}
	}
	code, b = argoDo(t, c, submit.Method, submit.Path, submit.Body)
	var wf struct{ Metadata struct{ Name string } }
	if err := json.Unmarshal(b, &wf); err != nil || code != 200 {
		t.Fatalf("%s: %d %s", submit.Cmd, code, b)
	}
	c.waitPhase(wf.Metadata.Name, "Succeeded", 20*time.Second)
	time.Sleep(1100 * time.Millisecond)
	code, b = argoDo(t, c, "GET", "/api/v1/workflows/default/"+wf.Metadata.Name+"/log?logOptions.container=main&logOptions.sinceSeconds=1", "")
	if code != 200 || strings.TrimSpace(string(b)) != "" {
		t.Fatalf("argo logs --since 1s, a step that ended over 1s ago: %d %s", code, b)
	}
}

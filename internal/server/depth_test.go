package server_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// allocated is the bytes the process allocated while f ran (the server
// runs in this process, so its handler's allocations count).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A deeply nested body is refused at once, naming the depth limit, for
// the cost of reading it: a 200 KB body once took 49 s and 15 GB; YAML bodies too.
func TestAPIRefusesDeepNestingCheaply(t *testing.T) {
	c := startAPI(t)
	const depth = 100_000
	for _, b := range []struct{ what, path, body string }{
		{"JSON arrays", "/api/v1/workflows/default", `{"workflow": ` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`},
		{"JSON objects", "/api/v1/workflows/default", `{"workflow": ` + strings.Repeat(`{"a": `, depth) + "1" + strings.Repeat("}", depth) + `}`},
		{"JSON in a lint", "/api/v1/workflows/default/lint", `{"workflow": {"metadata": {"name": "x"}, "spec": ` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}}`},
		{"YAML flow", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n"},
		{"YAML block", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  " + strings.Repeat("- ", depth) + "x\n"},
	} {
		var code int
		var out map[string]any
		start := time.Now()
		bytes := allocated(func() { code, out = c.do("POST", b.path, b.body) })
		took := time.Since(start)
		msg := fmt.Sprint(out["message"])
		if code != 400 || !strings.Contains(msg, "depth") {
			t.Errorf("%s: %d %.200q, want 400 naming the depth limit", b.what, code, msg)
		}
		if took > time.Second {
			t.Errorf("%s: took %v, want under a second", b.what, took)
		}
		if limit := uint64(40 * len(b.body)); bytes > limit {
			t.Errorf("%s: allocated %d MB for a %d KB body, want under %d MB", b.what, bytes>>20, len(b.body)>>10, limit>>20)
		}
	}
}

// Nesting just under the limit is still read: an extra field Argo's
// sync limit does not know is ignored however deep it is.
func TestAPIAcceptsNestingUnderTheLimit(t *testing.T) {
	c := startAPI(t)
	const depth = 500 // the body's own object is one level more
	body := `{"type": "CONFIGMAP", "cmName": "limits", "key": "k", "limit": 1, "extra": ` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
	if code, out := c.do("POST", "/api/v1/sync/default", body); code != 200 {
		t.Fatalf("nesting of %d: %d %v, want it read", depth, code, out)
	}
}

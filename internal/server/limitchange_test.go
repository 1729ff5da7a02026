package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func limitValue(v string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {k: %q}\n", v)
}

// A change that would leave a semaphore in use without a limit is refused
// (400, naming the lock and its holders and waiters); the lock then works
// on. Once nobody uses it, the change is accepted, and a new request fails
// with the reason instead of waiting on "0/0".
func TestLimitChangeRefusedWhileInUse(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/configmaps/default", limits(1)); code != 200 {
		t.Fatalf("apply ConfigMap: %d %v", code, out)
	}
	// a holds the lock long enough for every refused change below to
	// find it held, even on a loaded machine.
	short := strings.Replace(lockedSpec, `"sleep", "30"`, `"sleep", "4"`, 1)
	c.submit("a", short)
	c.waitPhase("a", "Running", 5*time.Second)
	c.submit("b", strings.Replace(lockedSpec, `"sleep", "30"`, `"true"`, 1))
	c.waitPhase("b", "Pending", 5*time.Second)

	const lock = "default/ConfigMap/limits/k"
	refused := []struct{ name, method, path, body string }{
		{"not an integer", "PUT", "/api/v1/configmaps/default/limits", limitValue("abc")},
		{"negative", "PUT", "/api/v1/configmaps/default/limits", limitValue("-5")},
		{"key removed", "PUT", "/api/v1/configmaps/default/limits", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {other: \"1\"}\n"},
		{"ConfigMap deleted", "DELETE", "/api/v1/configmaps/default/limits", ""},
		{"key deleted through the sync API", "DELETE", "/api/v1/sync/default/k?cmName=limits", ""},
	}
	for _, r := range refused {
		code, out := c.do(r.method, r.path, r.body)
		msg := fmt.Sprint(out["message"])
		if code != 400 || !strings.Contains(msg, lock) || !strings.Contains(msg, "default/a") || !strings.Contains(msg, "default/b") {
			t.Errorf("%s while in use: %d %q, want 400 naming %s, default/a and default/b", r.name, code, msg, lock)
		}
		if strings.Contains(msg, "abc") || strings.Contains(msg, "-5") {
			t.Errorf("%s: the message quotes the value: %q", r.name, msg)
		}
	}
	// The limit is intact: b runs when a ends.
	c.waitPhase("b", "Succeeded", 20*time.Second)
	c.waitPhase("a", "Succeeded", 20*time.Second)

	// Unused now: the change is accepted, and a new workflow is refused
	// with the reason instead of waiting on "0/0".
	if code, out := c.do("PUT", "/api/v1/configmaps/default/limits", limitValue("abc")); code != 200 {
		t.Fatalf("change of an unused limit: %d %v", code, out)
	}
	wf := `{"workflow": {"metadata": {"name": "c"}, "spec": ` + strings.Replace(lockedSpec, `"sleep", "30"`, `"true"`, 1) + `}}`
	code, out := c.do("POST", "/api/v1/workflows/default", wf)
	if msg := fmt.Sprint(out["message"]); code != 400 || !strings.Contains(msg, lock) || !strings.Contains(msg, "is not a non-negative integer") {
		t.Fatalf("submit with an unusable limit: %d %q, want 400 with the reason", code, msg)
	}
}

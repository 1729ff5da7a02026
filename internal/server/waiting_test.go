package server_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

// GET (and list) of a waiting workflow tells where it stands now and for
// how long it has waited; the message stored when its wait began said
// otherwise.
func TestAPIGetShowsLiveQueuePosition(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/configmaps/default", limits(1)); code != 200 {
		t.Fatalf("apply ConfigMap: %d %v", code, out)
	}
	for _, n := range []string{"q1", "q2", "q3"} {
		c.submit(n, lockedSpec)
		if n == "q1" {
			c.waitPhase("q1", "Running", 10*time.Second)
		}
	}
	message := func(name string) string {
		code, out := c.do("GET", "/api/v1/workflows/default/"+name, "")
		if code != 200 {
			t.Fatalf("get %s: %d %v", name, code, out)
		}
		st, _ := out["status"].(map[string]any)
		return fmt.Sprint(st["message"])
	}
	const lock = "Waiting for default/ConfigMap/limits/k lock. Lock status: 0/1 "
	// No hold of the lock has ended yet: no estimate.
	const unknown = ", start time unknown (no history yet)"
	deadline := time.Now().Add(5 * time.Second)
	for message("q3") != lock+"(position 2 of 2)"+unknown {
		if time.Now().After(deadline) {
			t.Fatalf("q3: %q", message("q3"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m := message("q2"); m != lock+"(position 1 of 2)"+unknown {
		t.Fatalf("q2, queued alone, still ahead of q3: %q", m)
	}
	// q2 goes: q3 moves up, though its stored message is unchanged.
	if code, out := c.do("DELETE", "/api/v1/workflows/default/q2", ""); code != 200 {
		t.Fatalf("delete q2: %d %v", code, out)
	}
	if m := message("q3"); m != lock+"(position 1 of 1)"+unknown {
		t.Fatalf("q3 after q2 left: %q", m)
	}
	// A list says the same.
	code, out := c.do("GET", "/api/v1/workflows/default?listOptions.fieldSelector=metadata.name%3Dq3", "")
	items, _ := out["items"].([]any)
	if code != 200 || len(items) != 1 {
		t.Fatalf("list q3: %d %v", code, out)
	}
	st, _ := items[0].(map[string]any)["status"].(map[string]any)
	if m := fmt.Sprint(st["message"]); m != lock+"(position 1 of 1)"+unknown {
		t.Fatalf("q3 in a list after q2 left: %q", m)
	}
	time.Sleep(1100 * time.Millisecond)
	if m := message("q3"); !regexp.MustCompile(`\(position 1 of 1, waiting [1-9]\d*s\), start time unknown \(no history yet\)$`).MatchString(m) {
		t.Fatalf("q3 after a second: %q", m)
	}
}

package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics and returns the value of the sample whose name
// and labels are given as the exposition format writes them, or -1.
func scrape(t *testing.T, c *apiClient, sample string) float64 {
	t.Helper()
	return scrapeAs(t, c.base, "", sample)
}

// scrapeAs is scrape of the server at base, with a bearer token when set.
func scrapeAs(t *testing.T, base, token, sample string) float64 {
	t.Helper()
	_, _, b := send(t, http.DefaultClient, "GET", base+"/metrics", "", map[string]string{"Authorization": "Bearer " + token})
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

// /metrics carries Argo's lock metrics under Argo's names and labels, and
// semaflow's limits, wait and hold times, for three workflows taking turns
// on a semaphore of limit 1.
func TestAPIMetrics(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/configmaps/default", limits(1)); code != 200 {
		t.Fatalf("apply ConfigMap: %d %v", code, out)
	}
	for _, n := range []string{"m1", "m2", "m3"} {
		c.submit(n, `{"entrypoint": "main", "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "k"}}]},
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "0.3"]}}]}`)
	}
	const labels = `{lock_name="limits/k",namespace="default",storage="configmap",type="semaphore"}`
	deadline := time.Now().Add(5 * time.Second)
	for scrape(t, c, "argo_workflows_locks_pending"+labels) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("never saw 2 workflows pending on the semaphore")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if held, limit := scrape(t, c, "argo_workflows_locks_held"+labels), scrape(t, c, "semaflow_lock_limit"+labels); held != 1 || limit != 1 {
		t.Fatalf("held %v, limit %v; want 1 and 1", held, limit)
	}
	for _, n := range []string{"m1", "m2", "m3"} {
		c.waitPhase(n, "Succeeded", 10*time.Second)
	}
	for sample, want := range map[string]float64{
		"argo_workflows_locks_taken_total" + labels: 3,
		"argo_workflows_locks_held" + labels:        0,
		"argo_workflows_locks_pending" + labels:     0,
		"semaflow_lock_wait_seconds_count" + labels: 3,
		"semaflow_lock_hold_seconds_count" + labels: 3,
	} {
		if got := scrape(t, c, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	// Each held the lock for its 0.3 s step; the second waited for one
	// step and the third for two.
	if s := scrape(t, c, "semaflow_lock_hold_seconds_sum"+labels); s < 0.9 {
		t.Errorf("hold time sum %v s, want at least 0.9", s)
	}
	if s := scrape(t, c, "semaflow_lock_wait_seconds_sum"+labels); s < 0.9 {
		t.Errorf("wait time sum %v s, want at least 0.9", s)
	}
	if scrape(t, c, "go_goroutines") <= 0 {
		t.Error("no Go runtime metrics")
	}
}

package server_test

import (
	"fmt"
	"testing"
	"time"
)

// /metrics tells of this node (its name, session, host and kind, its
// lease's end, the workflows it runs) and of how many nodes the store
// holds live sessions for.
func TestNodeMetrics(t *testing.T) {
	c := startNodeAPI(t)
	info := fmt.Sprintf(`semaflow_node_info{host="here",kind="server",node="api-node",session=%q}`, c.eng.SessionID())
	if got := scrapeAs(t, c.base, adminToken, info); got != 1 {
		t.Errorf("%s = %v, want 1", info, got)
	}
	lease := scrapeAs(t, c.base, adminToken, `semaflow_node_lease_expiry_timestamp_seconds{node="api-node"}`)
	if now := float64(time.Now().UnixNano()) / 1e9; lease < now || lease > now+16 {
		t.Errorf("lease expiry %v, want within the 15 s lease from now (%v)", lease, now)
	}
	// api-node and node-b; node-c's lease expired.
	if got := scrapeAs(t, c.base, adminToken, "semaflow_nodes_live"); got != 2 {
		t.Errorf("semaflow_nodes_live = %v, want 2", got)
	}
	if got := scrapeAs(t, c.base, adminToken, `semaflow_node_workflows{node="api-node"}`); got != 2 {
		t.Errorf("semaflow_node_workflows = %v, want the 2 sleepers", got)
	}
	if code, _ := c.do(adminToken, "PUT", "/api/v1/workflows/team-a/sleeper/terminate", "{}"); code != 200 {
		t.Fatalf("terminate: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for scrapeAs(t, c.base, adminToken, `semaflow_node_workflows{node="api-node"}`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("semaflow_node_workflows never went down to 1 once a sleeper was terminated")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An engine without a session (tests, never semaflow itself) has no node
// to tell of.
func TestNodeMetricsWithoutSession(t *testing.T) {
	c := startAPI(t)
	if got := scrape(t, c, "semaflow_nodes_live"); got != 0 {
		t.Errorf("semaflow_nodes_live = %v, want 0", got)
	}
	for _, s := range []string{"semaflow_node_info", "semaflow_node_workflows", "semaflow_node_lease_expiry_timestamp_seconds"} {
		if got := scrape(t, c, s); got != -1 {
			t.Errorf("%s = %v without a session", s, got)
		}
	}
}

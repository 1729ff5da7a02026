package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// nodeAPI is the API of an engine that holds a session (node "api-node")
// in a store where another node, "node-b", is recorded live with one
// workflow in team-b and a third, "node-c", with an expired lease.
type nodeAPI struct {
	*tokenAPI
	eng *engine.Engine
}

const sleepSpec = `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "30"]}}]}`

func startNodeAPI(t *testing.T) *nodeAPI {
	t.Helper()
	ctx := context.Background()
	s := testkit.OpenStore(t)
	eng, err := engine.New(ctx, engine.Config{Store: s, DataDir: t.TempDir(), Self: testkit.Binary(t),
		Session: &engine.SessionConfig{Kind: "server", Node: "api-node", Host: "here", PID: os.Getpid()}})
	if err != nil {
		t.Fatal(err)
	}
	tokens := []server.Token{{Value: adminToken}, {Value: teamAToken, Namespaces: []string{"team-a"}}}
	ts := httptest.NewServer(server.RequireToken(tokens, server.New(eng).Handler()))
	t.Cleanup(func() {
		ts.Close()
		eng.StopAll(true, "test over")
		eng.Drain()
		_ = eng.CloseSession(ctx)
	})
	now := time.Now()
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, store.Session{ID: "sess-b", Kind: "server", Node: "node-b", Host: "host-b", PID: 7,
			Addr: "http://10.0.0.2:2746", Started: now.Add(-time.Hour), Expires: now.Add(time.Hour)}); err != nil {
			return err
		}
		if err := tx.OpenSession(ctx, store.Session{ID: "sess-c", Kind: "run", Node: "node-c", Host: "host-c", PID: 9,
			Started: now.Add(-2 * time.Hour), Expires: now.Add(-time.Minute)}); err != nil {
			return err
		}
		if err := tx.BindSession(ctx, "sess-b"); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "team-b", Name: "theirs", UID: "theirs-uid", CreationTimestamp: &now},
			Status: wfv1.WorkflowStatus{Phase: wfv1.PhaseRunning}})
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &nodeAPI{tokenAPI: &tokenAPI{t: t, base: ts.URL}, eng: eng}
	for _, ns := range []string{"team-a", "team-b"} {
		body := `{"workflow": {"metadata": {"name": "sleeper", "namespace": "` + ns + `"}, "spec": ` + sleepSpec + `}}`
		if code, out := c.do(adminToken, "POST", "/api/v1/workflows/"+ns, body); code != 200 {
			t.Fatalf("submit to %s: %d %s", ns, code, out)
		}
	}
	return c
}

type apiNode struct {
	Name           string `json:"name"`
	Session        string `json:"session"`
	Kind           string `json:"kind"`
	Host           string `json:"host"`
	PID            int    `json:"pid"`
	Address        string `json:"address"`
	StartedAt      string `json:"startedAt"`
	LeaseExpiresAt string `json:"leaseExpiresAt"`
	Live           bool   `json:"live"`
	Self           bool   `json:"self"`
	WorkflowCount  int    `json:"workflowCount"`
	Workflows      []struct {
		Namespace, Name, Phase string
	} `json:"workflows"`
	WorkflowsTruncated bool `json:"workflowsTruncated"`
}

func (c *nodeAPI) nodes(token string) map[string]apiNode {
	c.t.Helper()
	code, body := c.do(token, "GET", "/api/v1/nodes", "")
	if code != 200 {
		c.t.Fatalf("GET /api/v1/nodes: %d %s", code, body)
	}
	var out struct{ Items []apiNode }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		c.t.Fatalf("%v: %s", err, body)
	}
	m := map[string]apiNode{}
	for _, n := range out.Items {
		m[n.Name] = n
	}
	return m
}

// GET /api/v1/nodes lists every engine recorded in the store with its
// lease and the workflows it runs, in Argo's JSON style; a token scoped
// to team-a sees every node but only team-a's workflows.
func TestNodesEndpoint(t *testing.T) {
	c := startNodeAPI(t)
	nodes := c.nodes(adminToken)
	if len(nodes) != 3 {
		t.Fatalf("nodes %v, want api-node, node-b and node-c", nodes)
	}
	self := nodes["api-node"]
	if !self.Self || !self.Live || self.Session != c.eng.SessionID() || self.Kind != "server" || self.Host != "here" || self.PID != os.Getpid() {
		t.Errorf("this engine: %+v", self)
	}
	for _, ts := range []string{self.StartedAt, self.LeaseExpiresAt} {
		if at, err := time.Parse(time.RFC3339, ts); err != nil || at.Location() != time.UTC {
			t.Errorf("time %q: %v, want RFC 3339 in UTC", ts, err)
		}
	}
	var names []string
	for _, w := range self.Workflows {
		names = append(names, w.Namespace+"/"+w.Name)
		if w.Phase != wfv1.PhasePending && w.Phase != wfv1.PhaseRunning {
			t.Errorf("%s/%s is %q, want Pending or Running", w.Namespace, w.Name, w.Phase)
		}
	}
	slices.Sort(names)
	if self.WorkflowCount != 2 || self.WorkflowsTruncated || !slices.Equal(names, []string{"team-a/sleeper", "team-b/sleeper"}) {
		t.Errorf("this engine runs %d %v, want team-a/sleeper and team-b/sleeper", self.WorkflowCount, names)
	}
	if b := nodes["node-b"]; b.Self || !b.Live || b.Address != "http://10.0.0.2:2746" || b.WorkflowCount != 1 || len(b.Workflows) != 1 ||
		b.Workflows[0].Name != "theirs" {
		t.Errorf("node-b: %+v", b)
	}
	if n := nodes["node-c"]; n.Live || n.Self || n.Kind != "run" {
		t.Errorf("node-c: %+v, want its lease expired", n)
	}

	// The scoped token sees the nodes, and of the workflows team-a's alone.
	code, body := c.do(teamAToken, "GET", "/api/v1/nodes", "")
	if code != 200 || strings.Contains(body, "team-b") || strings.Contains(body, "theirs") {
		t.Fatalf("team-a token: %d %s, want 200 without team-b's workflows", code, body)
	}
	nodes = c.nodes(teamAToken)
	if len(nodes) != 3 || nodes["api-node"].WorkflowCount != 1 || nodes["node-b"].WorkflowCount != 0 || len(nodes["node-b"].Workflows) != 0 {
		t.Errorf("team-a token: %+v", nodes)
	}
	if code, _ := c.do("", "GET", "/api/v1/nodes", ""); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := c.do(adminToken, "DELETE", "/api/v1/nodes", ""); code != 405 {
		t.Errorf("DELETE /api/v1/nodes: %d, want 405", code)
	}
}

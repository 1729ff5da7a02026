package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// recordWorkflows stores workflows as session owns them, as its engine
// would have: namespace/name → phase.
func recordWorkflows(t *testing.T, s store.Store, session string, phases map[string]string) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, session); err != nil {
			return err
		}
		i := 0
		for key, phase := range phases {
			i++
			var ns, name string
			if _, err := fmt.Sscanf(key, "%s %s", &ns, &name); err != nil {
				return err
			}
			at := time.Now().Add(time.Duration(i) * time.Millisecond)
			wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: ns, Name: name, UID: fmt.Sprintf("%s-%s-%s", session, ns, name), CreationTimestamp: &at},
				Status: wfv1.WorkflowStatus{Phase: phase}}
			if err := tx.CreateWorkflow(ctx, wf); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nodesByName indexes Nodes' answer, failing unless it has exactly want.
func nodesByName(t *testing.T, list []engine.NodeInfo, want ...string) map[string]engine.NodeInfo {
	t.Helper()
	out := map[string]engine.NodeInfo{}
	var names []string
	for _, n := range list {
		out[n.Name] = n
		names = append(names, n.Name)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("nodes %v, want %v", names, want)
	}
	return out
}

func wfNames(n engine.NodeInfo) []string {
	var out []string
	for _, w := range n.Workflows {
		out = append(out, w.Namespace+"/"+w.Name+":"+w.Phase)
	}
	slices.Sort(out)
	return out
}

// Nodes lists every session recorded in the store, this engine's and two
// written by hand (one live on another host, one whose lease expired),
// each with the unfinished workflows it owns: counted in full, listed up
// to the limit, and only in the namespaces asked for.
func TestNodes(t *testing.T) {
	ctx := context.Background()
	s := testkit.OpenStore(t)
	eng, err := engine.New(ctx, engine.Config{Store: s, DataDir: t.TempDir(),
		Session: &engine.SessionConfig{Kind: "server", Node: "self-node", Host: "here", PID: 42, Addr: "http://127.0.0.1:2746"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		eng.Drain()
		_ = eng.CloseSession(ctx)
	})
	now := time.Now()
	live := store.Session{ID: "sess-live", Kind: "server", Node: "node-b", Host: "host-b", PID: 7, Process: "7 1 boot",
		Addr: "http://10.0.0.2:2746", Started: now.Add(-time.Hour), Expires: now.Add(time.Hour)}
	dead := store.Session{ID: "sess-dead", Kind: "run", Node: "node-c", Host: "host-c", PID: 9,
		Started: now.Add(-2 * time.Hour), Expires: now.Add(-time.Minute)}
	if err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, live); err != nil {
			return err
		}
		return tx.OpenSession(ctx, dead)
	}); err != nil {
		t.Fatal(err)
	}
	recordWorkflows(t, s, eng.SessionID(), map[string]string{"default mine": wfv1.PhaseRunning, "default old": wfv1.PhaseSucceeded})
	recordWorkflows(t, s, live.ID, map[string]string{"team-a a1": wfv1.PhaseRunning, "team-b b1": wfv1.PhasePending,
		"team-a a2": wfv1.PhaseFailed, "team-a a3": ""})
	many := map[string]string{}
	for i := range engine.MaxNodeWorkflows + 5 {
		many[fmt.Sprintf("team-a c%03d", i)] = wfv1.PhaseRunning
	}
	recordWorkflows(t, s, dead.ID, many)

	list, err := eng.Nodes(ctx, engine.NodesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Name != "node-c" || list[1].Name != "node-b" || list[2].Name != "self-node" {
		t.Fatalf("nodes %+v, want node-c, node-b, self-node: oldest first", list)
	}
	nodes := nodesByName(t, list, "self-node", "node-b", "node-c")
	self := nodes["self-node"]
	if !self.Self || !self.Live || self.Session != eng.SessionID() || self.Kind != "server" || self.Host != "here" || self.PID != 42 ||
		self.Addr != "http://127.0.0.1:2746" || !self.Expires.After(now) || self.Started.After(self.Expires) {
		t.Errorf("this engine: %+v", self)
	}
	if self.WorkflowCount != 1 || self.Truncated || !slices.Equal(wfNames(self), []string{"default/mine:Running"}) {
		t.Errorf("this engine runs %d %v (truncated %v), want default/mine alone", self.WorkflowCount, wfNames(self), self.Truncated)
	}
	b := nodes["node-b"]
	if b.Self || !b.Live || b.Session != live.ID || b.Kind != "server" || b.Host != "host-b" || b.PID != 7 || b.Addr != live.Addr ||
		!b.Started.Equal(live.Started) || !b.Expires.Equal(live.Expires) {
		t.Errorf("node-b: %+v, want the session %+v, live", b, live)
	}
	if want := []string{"team-a/a1:Running", "team-a/a3:", "team-b/b1:Pending"}; b.WorkflowCount != 3 || b.Truncated || !slices.Equal(wfNames(b), want) {
		t.Errorf("node-b runs %d %v, want %v (finished workflows left out)", b.WorkflowCount, wfNames(b), want)
	}
	c := nodes["node-c"]
	if c.Live || c.Self || !c.Expires.Equal(dead.Expires) {
		t.Errorf("node-c: %+v, want its lease expired", c)
	}
	if c.WorkflowCount != engine.MaxNodeWorkflows+5 || len(c.Workflows) != engine.MaxNodeWorkflows || !c.Truncated {
		t.Errorf("node-c: %d workflows, %d listed, truncated %v; want %d, %d, true",
			c.WorkflowCount, len(c.Workflows), c.Truncated, engine.MaxNodeWorkflows+5, engine.MaxNodeWorkflows)
	}

	// A smaller limit, and one namespace.
	list, err = eng.Nodes(ctx, engine.NodesOptions{Namespaces: []string{"team-a"}, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	nodes = nodesByName(t, list, "self-node", "node-b", "node-c")
	if n := nodes["self-node"]; n.WorkflowCount != 0 || len(n.Workflows) != 0 || n.Truncated {
		t.Errorf("this engine in team-a: %+v, want no workflow", n)
	}
	if n := nodes["node-b"]; n.WorkflowCount != 2 || !slices.Equal(wfNames(n), []string{"team-a/a1:Running", "team-a/a3:"}) || n.Truncated {
		t.Errorf("node-b in team-a: %d %v, want a1 and a3", n.WorkflowCount, wfNames(n))
	}
	if n := nodes["node-c"]; n.WorkflowCount != engine.MaxNodeWorkflows+5 || len(n.Workflows) != 2 || !n.Truncated {
		t.Errorf("node-c with limit 2: %d, %d listed, truncated %v", n.WorkflowCount, len(n.Workflows), n.Truncated)
	}

	// Read from the store alone (semaflow nodes --db): nothing is this
	// engine.
	list, err = engine.ReadNodes(ctx, s, "", engine.NodesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodesByName(t, list, "self-node", "node-b", "node-c") {
		if n.Self {
			t.Errorf("%s is self when read from the store alone", n.Name)
		}
	}
}

// BenchmarkNodeList reads the nodes of a store where one session owns
// 10,000 unfinished workflows of about 1 kB each: all counted, 100 listed.
func BenchmarkNodeList(b *testing.B) {
	ctx := context.Background()
	s := testkit.OpenStore(b)
	now := time.Now()
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.OpenSession(ctx, store.Session{ID: "busy", Kind: "server", Node: "busy", Started: now, Expires: now.Add(time.Hour)})
	}); err != nil {
		b.Fatal(err)
	}
	tpl := wfv1.Template{Name: "main", Container: &wfv1.Container{Image: "x", Command: []string{"sh", "-c", strings.Repeat("echo padding; ", 60)}}}
	for chunk := range 10 {
		if err := s.Update(ctx, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, "busy"); err != nil {
				return err
			}
			for i := range 1000 {
				at := now.Add(time.Duration(chunk*1000+i) * time.Microsecond)
				wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("w%05d", chunk*1000+i),
					UID: fmt.Sprintf("uid-%05d", chunk*1000+i), CreationTimestamp: &at},
					Spec: wfv1.WorkflowSpec{Entrypoint: "main", Templates: []wfv1.Template{tpl}}, Status: wfv1.WorkflowStatus{Phase: wfv1.PhaseRunning}}
				if err := tx.CreateWorkflow(ctx, wf); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		list, err := engine.ReadNodes(ctx, s, "", engine.NodesOptions{})
		if err != nil || len(list) != 1 || list[0].WorkflowCount != 10000 || len(list[0].Workflows) != engine.MaxNodeWorkflows {
			b.Fatalf("%v %+v", err, list)
		}
	}
}

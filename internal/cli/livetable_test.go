package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/locks"
)

// liveFixture is five workflows on a limit-1 semaphore "db": w0's wrapper
// node holds it while its child step runs, w1..w3 wait in that order,
// w4 has ended.
func liveFixture(now time.Time) ([]string, map[string]*wfv1.Workflow, map[string]map[string]wfv1.NodeStatus, []locks.View) {
	start := now.Add(-3 * time.Second)
	var order []string
	wfs := map[string]*wfv1.Workflow{}
	nodes := map[string]map[string]wfv1.NodeStatus{}
	for i := range 5 {
		uid := fmt.Sprintf("u%d", i)
		name := fmt.Sprintf("w%d", i)
		wf := &wfv1.Workflow{}
		wf.Metadata.Name, wf.Metadata.Namespace = name, "default"
		wf.Status.Phase, wf.Status.StartedAt = wfv1.PhaseRunning, &start
		order = append(order, uid)
		wfs[uid] = wf
		nodes[uid] = map[string]wfv1.NodeStatus{
			name: {ID: name, Name: name, DisplayName: name, Type: "Steps", Phase: wfv1.PhaseRunning},
		}
	}
	nodes["u0"]["w0-wrap"] = wfv1.NodeStatus{ID: "w0-wrap", DisplayName: "wrap", Type: "Steps", Phase: wfv1.PhaseRunning}
	nodes["u0"]["w0-work"] = wfv1.NodeStatus{ID: "w0-work", DisplayName: "work", Type: "Pod", Phase: wfv1.PhaseRunning, StartedAt: &start}
	for _, i := range []int{1, 2, 3} {
		id := fmt.Sprintf("w%d-wrap", i)
		nodes[fmt.Sprintf("u%d", i)][id] = wfv1.NodeStatus{ID: id, DisplayName: "wrap", Type: "Steps", Phase: wfv1.PhasePending,
			Message: "Waiting for default/ConfigMap/cfg/db lock"}
	}
	wfs["u4"].Status.Phase = wfv1.PhaseSucceeded
	wfs["u4"].Status.FinishedAt = &now
	views := []locks.View{{Lock: "default/ConfigMap/cfg/db", Limit: 1,
		Holders: map[string]uint64{"default/w0/w0-wrap": 7},
		Waiters: []string{"default/w1/w1-wrap", "default/w2/w2-wrap", "default/w3/w3-wrap"}}}
	return order, wfs, nodes, views
}

func TestLiveTableHoldersAndWaiters(t *testing.T) {
	now := time.Now()
	order, wfs, nodes, views := liveFixture(now)
	var b strings.Builder
	writeLiveTable(&b, liveRows(order, wfs, nodes, views, nil, now), 100, 40)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("want a header and 5 rows, got:\n%s", b.String())
	}
	for _, want := range []string{"ETA", "LOCK", "ELAPSED", "STEP", "PHASE", "WORKFLOW"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header %q lacks %s", lines[0], want)
		}
	}
	checks := []struct{ line, want, not string }{
		{lines[1], "holds db", "waits"},
		{lines[2], "wrap", "holds"},
		{lines[2], "waits db (1 of 3)", "holds"},
		{lines[3], "waits db (2 of 3)", "holds"},
		{lines[4], "waits db (3 of 3)", "holds"},
		{lines[5], "Succeeded", "db"},
	}
	for _, c := range checks {
		if !strings.Contains(c.line, c.want) || strings.Contains(c.line, c.not) {
			t.Errorf("line %q: want %q, not %q", c.line, c.want, c.not)
		}
	}
	if !strings.Contains(lines[1], "work") || !strings.Contains(lines[1], "3.0s") {
		t.Errorf("holder line %q: want its running step and elapsed time", lines[1])
	}
}

func TestLiveTableFitsTheTerminal(t *testing.T) {
	now := time.Now()
	order, wfs, nodes, views := liveFixture(now)
	var b strings.Builder
	// 4 lines: header, 2 rows, a summary; the ended workflow is summarised
	// before any still running.
	writeLiveTable(&b, liveRows(order, wfs, nodes, views, nil, now), 30, 4)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 lines, got:\n%s", b.String())
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 30 {
			t.Errorf("line %q is %d columns wide, want at most 30", l, n)
		}
	}
	if !strings.HasPrefix(lines[3], "... 3 more: Running 2, Succee") {
		t.Errorf("summary %q", lines[3])
	}
}

// The ETA column gives a waiting workflow's estimated start, "unknown"
// with the reason until there is history; holders, workflows the engine
// has no estimate for and ended ones show none.
func TestLiveTableETA(t *testing.T) {
	now := time.Now()
	order, wfs, nodes, views := liveFixture(now)
	est := func(ns, name, node string) (eta.Start, bool) {
		switch ns + "/" + name + "/" + node {
		case "default/w1/w1-wrap":
			return eta.Start{Known: true, P50: now.Add(130 * time.Second), P90: now.Add(5 * time.Minute)}, true
		case "default/w2/w2-wrap":
			return eta.Start{Why: eta.NoHistory}, true
		}
		return eta.Start{}, false
	}
	rows := liveRows(order, wfs, nodes, views, est, now)
	var got []string
	for _, r := range rows {
		got = append(got, r.ETA)
	}
	if want := []string{"", "~2m10s (90%: 5m)", "unknown (no history yet)", "", ""}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ETAs %q, want %q", got, want)
	}
	var b strings.Builder
	writeLiveTable(&b, rows, 120, 40)
	if lines := strings.Split(b.String(), "\n"); !strings.HasSuffix(lines[2], "~2m10s (90%: 5m)") {
		t.Fatalf("w1's line %q lacks its ETA", lines[2])
	}
}

// On an 80-column terminal the lock and its estimate stay readable: the
// workflow and step names give way first (the README's main job once
// showed "waits db-connections (1 of …" and no ETA at all).
func TestLiveTableKeepsLockAndETAAt80Columns(t *testing.T) {
	rows := []liveRow{
		{Name: "db-cpu-dag-m25p9-with-a-long-name", Phase: "Running", Step: "use-the-semaphore-with-a-long-name +2",
			Elapsed: "1.2s", Lock: "waits db-connections (1 of 3)", ETA: "~2m10s (90%: 5m)"},
		{Name: "nightly-report", Phase: "Running", Step: "nightly-report", Elapsed: "1.0s", Lock: "holds licence-seat"},
	}
	var b strings.Builder
	writeLiveTable(&b, rows, 80, 10)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for _, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %q is %d columns wide, want at most 80", l, n)
		}
	}
	if !strings.Contains(lines[1], "waits db-connections (1 of 3)") || !strings.Contains(lines[1], "~2m10s") {
		t.Fatalf("the waiter's line lost its lock or estimate:\n%s", b.String())
	}
}

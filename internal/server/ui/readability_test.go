package ui_test

// What a first-time user reads on a laptop screen: plain words, no
// page wider than the screen, nothing that claims what is not so.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noSideScroll is true when the page fits the window's width.
const noSideScroll = `document.documentElement.scrollWidth <= window.innerWidth`

// The Locks page names a mutex by its name, says how long a holder has
// held (not "since 0s ago"), keeps empty columns and tables out, and
// says a free lock is free.
func TestBrowserLocksPageReads(t *testing.T) {
	s := startServer(t)
	gate, err := os.MkdirTemp("/var/tmp", "semaflow-ui-reads-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(gate) })
	if code, out := s.API(t, "POST", "/api/v1/sync/default", `{"key": "idle-pool", "limit": 4, "type": "DATABASE"}`); code != 200 {
		t.Fatalf("create the database semaphore: %d %v", code, out)
	}
	for _, name := range []string{"first", "second"} {
		s.Submit(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: deploy-prod}]}
    container: {image: alpine, command: [sh, -c, 'while [ ! -e %s ]; do sleep 0.05; done']}
`, name, filepath.Join(gate, name)))
	}
	t.Cleanup(func() {
		for _, n := range []string{"first", "second"} {
			_ = os.WriteFile(filepath.Join(gate, n), nil, 0o644)
		}
	})
	p := newPage(t, s, 30*time.Second)
	p.Go("/locks")
	mutex := `document.querySelector('[data-lock="default/Mutex/deploy-prod"]')`
	p.WaitJS("the mutex's holder and waiter", `(() => { const c = `+mutex+`; return !!c && !!c.querySelector('tr[data-holder="first"]') && !!c.querySelector('tr[data-waiter="second"]'); })()`)
	if got := evalJS[string](p, mutex+`.querySelector('.lock-name').textContent + '|' + `+mutex+`.querySelector('.lock-kind').textContent`); got != "deploy-prod|mutex" {
		t.Errorf("the mutex's card is titled %q, want deploy-prod|mutex", got)
	}
	heads := evalJS[string](p, `[...`+mutex+`.querySelectorAll('th')].map(th => th.textContent).join('|')`)
	if !strings.Contains(heads, "Held for") || strings.Contains(heads, "since") {
		t.Errorf("the holders' column: %q, want Held for", heads)
	}
	if strings.Contains(heads, "Held back by") {
		t.Errorf("a column of reasons with no reason in it: %q", heads)
	}
	if got := evalJS[string](p, mutex+`.querySelector('tr[data-holder]').cells[2].textContent`); strings.Contains(got, "ago") || !strings.HasSuffix(got, "s") {
		t.Errorf("the holder has held for %q, want a duration such as 3s", got)
	}
	free := `document.querySelector('[data-lock="default/Database/idle-pool"]')`
	if got := evalJS[string](p, `(() => { const c = `+free+`; return c.querySelectorAll('table').length + '|' + c.querySelector('.lock-free')?.textContent; })()`); got != "0|Free: nobody holds it and nobody waits." {
		t.Errorf("a lock nobody uses shows %q", got)
	}
	p.Screenshot("locks-reads")
	p.ColorScheme("dark")
	p.Screenshot("locks-reads-dark")
}

// A wide DAG (20 parallel tasks) fits the page, wrapped, in the
// template's order; a finished step no longer claims to hold its lock; a
// long name does not widen the page; a cron schedule shows once.
func TestBrowserWorkflowGraphReads(t *testing.T) {
	s := startServer(t)
	var tasks strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&tasks, "      - {name: shard-%02d, template: work}\n", i)
	}
	tasks.WriteString("      - {name: merge, template: locked, depends: \"shard-01 && shard-20\"}\n")
	name := "a-wide-dag-with-a-rather-long-name-" + strings.Repeat("x", 90)
	s.Submit(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
%s  - name: work
    container: {image: alpine, command: [sh, -c, 'echo ok']}
  - name: locked
    synchronization: {mutexes: [{name: merge-lock}]}
    container: {image: alpine, command: [sh, -c, 'echo merged']}
`, name, tasks.String()))
	if code, out := s.API(t, "POST", "/api/v1/cron-workflows/default", `{"cronWorkflow": {"metadata": {"name": "nightly"},
	  "spec": {"schedule": "0 3 * * *", "workflowSpec": {"entrypoint": "main",
	    "templates": [{"name": "main", "container": {"image": "alpine", "command": ["echo", "hi"]}}]}}}}`); code != 200 {
		t.Fatalf("create cron workflow: %d %v", code, out)
	}
	s.WaitPhase(t, name, "Succeeded", 40*time.Second)

	p := newPage(t, s, 30*time.Second)
	p.Go("/workflows/default/" + name)
	p.WaitJS("the graph", `document.querySelectorAll('#graph svg g.node').length === 22`)
	if !evalJS[bool](p, `document.querySelector('#graph svg').getBoundingClientRect().width <= document.getElementById('graph').clientWidth`) {
		t.Error("the graph of 20 parallel tasks is wider than its box")
	}
	order := evalJS[bool](p, `(() => { const r = (n) => document.querySelector('#graph g.node[data-name="' + n + '"]').getBoundingClientRect();
		const a = r('shard-01'), b = r('shard-02'), z = r('shard-20');
		return a.top === b.top && a.left < b.left && z.top > a.top; })()`)
	if !order {
		t.Error("the shards are not laid out in the template's order, wrapped")
	}
	if got := evalJS[string](p, `document.querySelector('#graph g.node[data-name="merge"]').dataset.lock + '|' + document.getElementById('graph').textContent.includes('holding')`); got != "|false" {
		t.Errorf("a finished step still shows as holding its lock: %q", got)
	}
	if !evalJS[bool](p, noSideScroll) {
		t.Error("the workflow's page is wider than the window")
	}
	p.Screenshot("workflow-wide-dag")
	p.Go("/workflows")
	p.WaitText("#wf-rows", "a-wide-dag")
	if !evalJS[bool](p, noSideScroll) {
		t.Error("the workflow list is wider than the window")
	}
	p.Go("/cron-workflows")
	p.WaitText("#cron-rows", "nightly")
	if got := evalJS[string](p, `document.querySelector('#cron-rows td.mono').textContent`); got != "0 3 * * *" {
		t.Errorf("the schedule reads %q", got)
	}
}

// When the server goes away, the page says so in the header, dims what
// it shows, and puts no browser error in front of the user.
func TestBrowserServerGone(t *testing.T) {
	s := startServer(t)
	p := newPage(t, s, 30*time.Second)
	p.Go("/workflows")
	p.WaitText("#conn", "Live")
	s.Stop()
	p.WaitText("#conn", "Server not reachable")
	p.WaitJS("the page dimmed", `document.body.classList.contains('offline')`)
	if got := evalJS[string](p, `document.getElementById('flash').hidden ? '' : document.getElementById('flash').textContent`); got != "" {
		t.Errorf("the page shows %q", got)
	}
	p.Screenshot("server-gone")
}

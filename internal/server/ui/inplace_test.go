package ui_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const runnerWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: runner}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: slow, template: wait}
      - {name: later, template: wait, dependencies: [slow]}
  - name: wait
    container: {image: alpine, command: [sh, -c, 'echo waiting; sleep 60']}
`

// Live updates change the page in place: a selection of text and the
// keyboard focus survive them on the list, the graph and the node panel;
// ?node= opens the page on that node.
func TestBrowserLiveUpdatesKeepSelectionAndFocus(t *testing.T) {
	s := startServer(t)
	s.Submit(t, fmt.Sprintf(helloWorkflow, "done1", "hi", "0"))
	s.WaitPhase(t, "done1", "Succeeded", 20*time.Second)
	s.Submit(t, runnerWorkflow)
	s.WaitPhase(t, "runner", "Running", 20*time.Second)
	p := newPage(t, s, 40*time.Second)
	p.Go("/workflows")
	p.WaitJS("both rows", `!!document.querySelector('#wf-rows tr[data-name="done1"]') && !!document.querySelector('#wf-rows tr[data-name="runner"]')`)
	p.Do("select a name and focus a link", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__a = document.querySelector('#wf-rows tr[data-name="done1"] a');
		window.__b = document.querySelector('#wf-rows tr[data-name="runner"] a');
		__b.focus();
		const r = document.createRange(); r.selectNodeContents(__a);
		getSelection().removeAllRanges(); getSelection().addRange(r); })()`))
	time.Sleep(2500 * time.Millisecond) // the list redraws every second
	if got := evalJS[string](p, `[__a.isConnected, document.activeElement === __b, getSelection().toString()].join('|')`); got != "true|true|done1" {
		t.Errorf("after live updates the list's link, focus, selection: %q, want true|true|done1", got)
	}

	// ?node= selects that node.
	_, out := s.API(t, "GET", "/api/v1/workflows/default/runner", "")
	var slow string
	for id, n := range out["status"].(map[string]any)["nodes"].(map[string]any) {
		if n.(map[string]any)["displayName"] == "slow" {
			slow = id
		}
	}
	p.Go("/workflows/default/runner?node=" + slow)
	p.WaitText("#node-title", "slow")
	p.WaitText("#node-log", "waiting")
	p.WaitJS("the node drawn selected", `document.querySelector('#graph g.node[data-name="slow"]').classList.contains('selected')`)
	p.Do("focus the node, select the panel's title", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__n = document.querySelector('#graph g.node[data-name="slow"]'); __n.focus();
		window.__h = document.getElementById('node-title');
		const r = document.createRange(); r.selectNodeContents(__h);
		getSelection().removeAllRanges(); getSelection().addRange(r);
		window.__tree = 0;
		new MutationObserver((l) => { for (const m of l) if (m.type === 'childList') window.__tree++; })
			.observe(document.getElementById('graph'), {subtree: true, childList: true});
		})()`))
	time.Sleep(2500 * time.Millisecond) // the running graph and panel redraw every second
	if got := evalJS[string](p, `[__n.isConnected, document.activeElement === __n, __h.isConnected, getSelection().toString()].join('|')`); got != "true|true|true|slow" {
		t.Errorf("after live updates the node, its focus, the panel's title, the selection: %q, want true|true|true|slow", got)
	}
	if n := evalJS[float64](p, `window.__tree`); n != 0 {
		t.Errorf("the running graph's elements were replaced %v times in 2.5 s; only its texts change", n)
	}
}

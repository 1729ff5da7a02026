package ui_test

import (
	"strings"
	"testing"
	"time"
)

// A step's log of 20,000 lines shows in under 2 s: the page keeps the
// last lines, says how many earlier ones it left out, and links to the
// whole log through the API. (Drawing it line by line took minutes.)
func TestBrowserBigLogShowsFast(t *testing.T) {
	s := startServer(t)
	s.Submit(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: log20k}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, 'seq 1 20000 | sed "s/^/log line number /"']}
`)
	s.WaitPhase(t, "log20k", "Succeeded", 30*time.Second)
	p := newPage(t, s, 40*time.Second)
	p.Go("/workflows/default/log20k")
	p.WaitJS("the graph", `!!document.querySelector('#graph g.node[data-name="log20k"]')`)
	evalJS[bool](p, `(() => { window.__t0 = performance.now();
		document.querySelector('#graph g.node[data-name="log20k"]').dispatchEvent(new MouseEvent('click', {bubbles: true})); return true; })()`)
	// Timed in the page: the poll runs once the page's thread is free.
	p.WaitJS("the log's last line", `(() => { const b = document.getElementById('node-log');
		const ok = !!b && b.textContent.endsWith('log line number 20000\n');
		if (ok && !window.__t1) window.__t1 = performance.now(); return ok; })()`)
	ms := evalJS[float64](p, `window.__t1 - window.__t0`)
	t.Logf("20,000 lines shown in %.0f ms", ms)
	if ms > 2000 {
		t.Errorf("the log took %.0f ms to show, want < 2 s", ms)
	}
	lines := evalJS[float64](p, `document.getElementById('node-log').textContent.split('\n').length - 1`)
	if lines > 10000 || lines < 1000 {
		t.Errorf("the page shows %v lines of 20,000, want the last few thousand", lines)
	}
	note := evalJS[string](p, `(() => { const c = document.getElementById('node-log-cut'); return c && !c.hidden ? c.textContent : ''; })()`)
	if !strings.Contains(note, "earlier lines") {
		t.Errorf("no note says earlier lines are left out: %q", note)
	}
	// The link gives the whole log.
	whole := evalJS[float64](p, `fetch(document.querySelector('#node-log-cut a').href).then(r => r.text()).then(t => t.split('\n').filter(l => l.includes('log line number')).length)`)
	if whole != 20000 {
		t.Errorf("the link to the whole log gives %v lines, want 20000", whole)
	}
}

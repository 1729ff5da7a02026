package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A DAG of 2,000 parallel tasks: the first view shows the root and the
// task after them; the wide level shows some of its nodes and a "+N
// more" box that shows more when clicked; a finished graph is drawn once.
func TestBrowserHugeDAG(t *testing.T) {
	s := startServer(t)
	// Tasks whose when is false are skipped without running: 2,000
	// nodes in seconds.
	s.Submit(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dag2k}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: fan, template: t, withSequence: {count: "2000"}, when: "{{item}} < 0"}
      - {name: after, template: t, dependencies: [fan]}
  - name: t
    container: {image: alpine, command: ["true"]}
`)
	s.WaitPhase(t, "dag2k", "Succeeded", 60*time.Second)
	p := newPage(t, s, 40*time.Second)
	p.Go("/workflows/default/dag2k")
	p.WaitJS("the graph", `!!document.querySelector('#graph g.node[data-name="after"]')`)
	inView := func(sel string) string {
		return `(() => { const g = document.getElementById('graph').getBoundingClientRect();
			const r = document.querySelector('` + sel + `').getBoundingClientRect();
			return r.right > g.left && r.left < g.right && r.bottom > g.top && r.top < g.bottom && r.top < innerHeight; })()`
	}
	if !evalJS[bool](p, inView(`#graph g.node[data-name="dag2k"]`)) {
		t.Error("the root is not in the first view of the graph")
	}
	drawn := evalJS[float64](p, `document.querySelectorAll('#graph g.node').length`)
	if drawn > 300 {
		t.Errorf("%v nodes drawn of 2,002, want a few hundred at most", drawn)
	}
	more := evalJS[string](p, `(() => { const m = document.querySelector('#graph g.more'); return m ? m.textContent : ''; })()`)
	if !strings.Contains(more, "more") {
		t.Fatalf("no box says how many nodes are not drawn: %q", more)
	}
	// A finished workflow's graph is drawn once: nothing changes in it.
	evalJS[bool](p, `(() => { window.__muts = 0; new MutationObserver((l) => { window.__muts += l.length; })
		.observe(document.getElementById('graph'), {subtree: true, childList: true, attributes: true, characterData: true}); return true; })()`)
	time.Sleep(2500 * time.Millisecond)
	if n := evalJS[float64](p, `window.__muts`); n != 0 {
		t.Errorf("the finished graph changed %v times in 2.5 s", n)
	}
	p.Do("show more", chromedp.Click(chromedp.CSS(`#graph g.more`)))
	p.WaitJS("more nodes", fmt.Sprintf(`document.querySelectorAll('#graph g.node').length > %d`, int(drawn)))
	p.Screenshot("workflow-huge-dag")
}

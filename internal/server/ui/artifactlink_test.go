package ui_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/semaflow/semaflow/internal/server"
)

// A node's stored output artifact is a link in its panel to Argo's
// download path, which the signed-in browser's session can follow.
func TestBrowserNodePanelLinksArtifacts(t *testing.T) {
	s := startServer(t, server.Token{Value: "ui-artifact-token-0123456789"})
	p := newPage(t, s, 50*time.Second)
	p.Login(s.Token)
	s.Submit(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: arty}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, 'echo linked > /tmp/o.txt']}
    outputs: {artifacts: [{name: report, path: /tmp/o.txt, archive: {none: {}}}]}
`)
	s.WaitPhase(t, "arty", "Succeeded", 30*time.Second)
	p.Go("/workflows/default/arty")
	p.WaitJS("the graph", `document.querySelectorAll('#graph svg g.node').length >= 1`)
	p.Do("select the step", chromedp.Click(chromedp.CSS(`#graph g.node[data-name="arty"]`)))
	p.WaitJS("the artifact's link", `!!document.querySelector('#node-outputs a.artifact-link')`)
	if href := evalJS[string](p, `document.querySelector('#node-outputs a.artifact-link').getAttribute('href')`); href != "/artifact-files/default/workflows/arty/arty/outputs/report" {
		t.Errorf("link %q", href)
	}
	p.Do("follow it", chromedp.Evaluate[chromedp.Void](`window.__got = null; fetch(document.querySelector('#node-outputs a.artifact-link').href).then(r => r.text()).then(t => window.__got = t)`))
	p.WaitJS("the download", `window.__got === "linked\n"`)
}

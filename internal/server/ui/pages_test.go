package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/semaflow/semaflow/internal/server"
)

const helloWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: %s
  labels: {app: demo}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: greeting, value: %q}]
  templates:
  - name: main
    dag:
      tasks:
      - {name: first, template: say, arguments: {parameters: [{name: text, value: "{{workflow.parameters.greeting}}"}]}}
      - {name: second, template: say, dependencies: [first], arguments: {parameters: [{name: text, value: "second"}]}}
  - name: say
    inputs: {parameters: [{name: text}]}
    container: {image: alpine, command: [sh, -c, 'echo "says: $0"; sleep %s', "{{inputs.parameters.text}}"]}
`

// Every page loads in a real browser and shows its content; each is
// saved as a screenshot.
func TestBrowserPagesLoad(t *testing.T) {
	s := startServer(t)
	if code, out := s.API(t, "POST", "/api/v1/workflow-templates/default", `{"template": {"metadata": {"name": "greeter"},
	  "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "who", "value": "world"}]},
	    "templates": [{"name": "main", "container": {"image": "alpine", "command": ["echo", "hi"]}}]}}}`); code != 200 {
		t.Fatalf("create template: %d %v", code, out)
	}
	if code, out := s.API(t, "POST", "/api/v1/cron-workflows/default", `{"cronWorkflow": {"metadata": {"name": "nightly"},
	  "spec": {"schedule": "0 3 * * *", "workflowSpec": {"entrypoint": "main",
	    "templates": [{"name": "main", "container": {"image": "alpine", "command": ["echo", "hi"]}}]}}}}`); code != 200 {
		t.Fatalf("create cron workflow: %d %v", code, out)
	}
	s.Submit(t, fmt.Sprintf(helloWorkflow, "hello", "hi", "0"))
	s.WaitPhase(t, "hello", "Succeeded", 20*time.Second)

	p := newPage(t, s, 40*time.Second)
	for _, c := range []struct{ path, title, sel, text string }{
		{"/", "Workflows", "#wf-rows", "hello"},
		{"/workflows/default/hello", "Workflow", "#summary", "Succeeded"},
		{"/locks", "Locks", "main", "Locks"},
		{"/cron-workflows", "Cron workflows", "#cron-rows", "0 3 * * *"},
		{"/cron-workflows/default/nightly", "Cron workflow", "#summary", "0 3 * * *"},
		{"/templates", "Templates", "#template-rows", "greeter"},
		{"/templates/default/greeter", "Workflow template", "#summary", "who"},
	} {
		p.Go(c.path)
		p.WaitText("main h1", c.title)
		p.WaitText("header nav", "Cron workflows")
		p.WaitText(c.sel, c.text)
		name := strings.Trim(strings.ReplaceAll(c.path, "/", "-"), "-")
		if name == "" {
			name = "workflows"
		}
		p.Screenshot(name)
	}
	// Dark mode reads as well.
	p.ColorScheme("dark")
	p.Go("/workflows/default/hello")
	p.WaitJS("the graph", `document.querySelectorAll('#graph svg g.node').length >= 3`)
	if bg := evalJS[string](p, `getComputedStyle(document.body).backgroundColor`); bg == "rgb(247, 248, 250)" {
		t.Errorf("dark mode: the body's background is still the light one, %s", bg)
	}
	p.Do("select the second step", chromedp.Click(chromedp.CSS(`#graph g.node[data-name="second"]`)))
	p.WaitText("#node-log", "says: second")
	p.Screenshot("workflow-dark")
}

// The list shows a workflow submitted through the API without a reload;
// its page draws the graph, a node's logs, and lock state; terminate works.
func TestBrowserWorkflowLiveGraphLogsAndTerminate(t *testing.T) {
	s := startServer(t)
	p := newPage(t, s, 50*time.Second)
	p.Go("/workflows?namespace=default")
	p.WaitText("#wf-rows", "No workflows")
	p.Do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))
	s.Submit(t, fmt.Sprintf(helloWorkflow, "live", "hello there", "0"))
	p.WaitText("#wf-rows", "live")
	p.WaitJS("the row's phase to reach Succeeded", `document.querySelector('#wf-rows tr[data-name="live"]').textContent.includes("Succeeded")`)
	if !evalJS[bool](p, `window.__notReloaded === true`) {
		t.Fatal("the page reloaded")
	}

	// The graph and a node's log.
	p.Do("open the workflow", chromedp.Click(chromedp.CSS(`#wf-rows a`)))
	p.WaitJS("the graph", `document.querySelectorAll('#graph svg g.node').length >= 3`)
	// The DAG's order: second depends on first, so it is drawn below it.
	if !evalJS[bool](p, `(() => { const y = (n) => document.querySelector('#graph g.node[data-name="' + n + '"]').getBoundingClientRect().top;
		return y("live") < y("first") && y("first") < y("second"); })()`) {
		t.Error("the graph does not draw second below first, which it depends on")
	}
	p.Do("select the first step", chromedp.Click(chromedp.CSS(`#graph g.node[data-name="first"]`)))
	p.WaitText("#node-log", "says: hello there")
	p.WaitText("#node-panel", "Inputs")
	p.Screenshot("workflow-detail")

	// Locks on the nodes: one holds the limit-1 semaphore, one waits.
	if code, out := s.API(t, "POST", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {build: \"1\"}\n"); code != 200 {
		t.Fatalf("ConfigMap: %d %v", code, out)
	}
	locked := `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {semaphores: [{configMapKeyRef: {name: limits, key: build}}]}
    container: {image: alpine, command: [sh, -c, 'echo working; sleep 60']}
`
	s.Submit(t, fmt.Sprintf(locked, "holder"))
	s.WaitPhase(t, "holder", "Running", 20*time.Second)
	s.Submit(t, fmt.Sprintf(locked, "waiter"))
	p.Go("/workflows/default/waiter")
	p.WaitJS("the waiter's node waiting for the lock", `!!document.querySelector('#graph g.node[data-lock="waiting"]')`)
	p.WaitText("#graph", "waiting for limits/build (1 of 1)")
	p.Do("select the waiting node", chromedp.Click(chromedp.CSS(`#graph g.node[data-lock="waiting"]`)))
	p.WaitText("#node-locks", "position 1 of 1")
	p.Go("/workflows/default/holder")
	p.WaitJS("the holder's node holding the lock", `!!document.querySelector('#graph g.node[data-lock="holding"]')`)
	p.Do("select the holding node", chromedp.Click(chromedp.CSS(`#graph g.node[data-lock="holding"]`)))
	p.WaitText("#node-locks", "fencing token")
	p.WaitText("#node-log", "working")
	p.Screenshot("workflow-holding-lock")

	// Terminate asks for a second click, then ends the workflow; the
	// waiter then gets the lock.
	p.Do("terminate", chromedp.Click(chromedp.CSS(`#action-terminate`)))
	p.WaitText("#action-terminate", "Click again")
	p.Do("confirm terminate", chromedp.Click(chromedp.CSS(`#action-terminate`)))
	p.WaitText("#wf-phase", "Failed")
	s.WaitPhase(t, "waiter", "Running", 20*time.Second)
}

// With tokens, the UI asks for one, keeps it in an HttpOnly cookie, and
// the API refuses a cookie write without the page's CSRF token.
func TestBrowserLoginAndCSRF(t *testing.T) {
	s := startServer(t, server.Token{Value: "secret-token-0123456789"})
	p := newPage(t, s, 30*time.Second)
	p.Go("/templates")
	p.WaitText("main h1", "Log in")
	p.Do("log in with a wrong token",
		chromedp.SendKeys(chromedp.CSS(`#token`), "wrong"),
		chromedp.Click(chromedp.CSS(`#login-form button`)))
	p.WaitText("#login-error", "not one this server accepts")
	p.Do("log in",
		chromedp.SetValue(chromedp.CSS(`#token`), "secret-token-0123456789"),
		chromedp.Click(chromedp.CSS(`#login-form button`)))
	p.WaitText("main h1", "Templates") // back where it was sent from
	p.WaitText("#template-rows", "No workflow templates")
	if c := evalJS[string](p, `document.cookie`); strings.Contains(c, "semaflow_") {
		t.Fatalf("the token's cookie is readable by scripts: %q", c)
	}
	p.Screenshot("templates-signed-in")
	const cm = `JSON.stringify({apiVersion: "v1", kind: "ConfigMap", metadata: {name: "limits"}, data: {k: "2"}})`
	status := evalJS[float64](p, `fetch("/api/v1/configmaps/default", {method: "POST", headers: {"Content-Type": "application/json"}, body: `+cm+`}).then(r => r.status)`)
	if status != 403 {
		t.Fatalf("a cookie write without the CSRF token: %v, want 403", status)
	}
	if ok := evalJS[bool](p, `semaflow.api("POST", "/api/v1/configmaps/default", JSON.parse(`+cm+`)).then(() => true)`); !ok {
		t.Fatal("a write through the page's helper failed")
	}
	p.Do("log out", chromedp.Click(chromedp.CSS(`#logout`)))
	p.WaitText("main h1", "Log in")
}

// Names and values that hold markup show as text and run nothing.
func TestBrowserHostileValuesShowAsText(t *testing.T) {
	s := startServer(t)
	const hostile = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`
	s.Submit(t, fmt.Sprintf(helloWorkflow, "hostile", hostile, "0"))
	s.WaitPhase(t, "hostile", "Succeeded", 20*time.Second)
	p := newPage(t, s, 30*time.Second)
	p.Go("/workflows/default/hostile")
	p.WaitText("#wf-params", hostile)
	p.Do("select the first step", chromedp.Click(chromedp.CSS(`#graph g.node[data-name="first"]`)))
	p.WaitText("#node-log", "says: "+hostile)
	p.WaitText("#node-panel", hostile) // its input parameter
	if evalJS[bool](p, `window.__xss !== undefined || !!document.querySelector('main img, main script')`) {
		t.Fatal("markup from a parameter ran or became elements")
	}
}

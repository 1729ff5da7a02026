package ui_test

// The browser test harness: a real server (engine, store, API and UI)
// on a loopback port, one headless Debian chromium shared by the
// package's tests, a fresh browser context (own cookies) per test, and
// screenshots kept as test output. The Locks page's tests use it too.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/testkit"
)

// uiServer is a running server and what a test needs to drive it.
type uiServer struct {
	URL   string
	Local *testkit.Local
	// Token signs API calls in when the server needs tokens.
	Token string
	// Stop ends the server, as when it goes away under an open page;
	// the test's end calls it too.
	Stop func()
	// Drop cuts every open connection (streams included), as a restart
	// of the server does, and goes on serving.
	Drop func()
}

// startServer starts a server on loopback; with tokens it needs them,
// as `semaflow server --auth-token-file` does.
func startServer(t *testing.T, tokens ...server.Token) *uiServer {
	t.Helper()
	l := testkit.Open(t, testkit.Options{})
	h := server.New(l.Engine).Handler()
	if len(tokens) > 0 {
		h = server.RequireToken(tokens, h)
	}
	ts := httptest.NewServer(h)
	l.Engine.StartCron()
	s := &uiServer{URL: ts.URL, Local: l, Drop: ts.CloseClientConnections}
	if len(tokens) > 0 {
		s.Token = tokens[0].Value
	}
	var once sync.Once
	s.Stop = func() {
		once.Do(func() {
			ts.CloseClientConnections()
			ts.Close()
			l.Engine.StopAll(true, "test over")
			_ = l.Close()
		})
	}
	t.Cleanup(s.Stop)
	return s
}

// API calls the server's API with the server's first token; body is
// JSON or YAML. It answers the status and the decoded JSON answer.
func (s *uiServer) API(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		ct := "application/json"
		if !strings.HasPrefix(strings.TrimSpace(body), "{") {
			ct = "application/yaml"
		}
		req.Header.Set("Content-Type", ct)
	}
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// Submit creates a workflow from a YAML manifest in namespace default.
func (s *uiServer) Submit(t *testing.T, manifest string) {
	t.Helper()
	wf, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	code, out := s.API(t, "POST", "/api/v1/workflows/default", `{"workflow": `+string(wf)+`}`)
	if code != 200 {
		t.Fatalf("submit: %d %v", code, out)
	}
}

// WaitPhase polls the API until the workflow reaches phase.
func (s *uiServer) WaitPhase(t *testing.T, name, phase string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		_, out := s.API(t, "GET", "/api/v1/workflows/default/"+name, "")
		st, _ := out["status"].(map[string]any)
		if st["phase"] == phase {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %v after %v, want %s", name, st["phase"], d, phase)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc = func() {}
	browserErr    error
)

// chromiumPath finds Debian's chromium ($SEMAFLOW_CHROMIUM overrides).
func chromiumPath() (string, error) {
	if p := os.Getenv("SEMAFLOW_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("the web UI's tests need Chromium: apt-get install chromium (or set SEMAFLOW_CHROMIUM)")
}

// sharedBrowser starts the package's one browser on first use.
func sharedBrowser() (context.Context, error) {
	browserOnce.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			browserErr = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // tests run as root
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.WindowSize(1280, 800),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			cancelCtx()
			cancelAlloc()
			browserErr = fmt.Errorf("starting %s: %w", path, err)
			return
		}
		browserCtx = ctx
		browserCancel = func() { cancelCtx(); cancelAlloc() }
	})
	return browserCtx, browserErr
}

// TestMain builds the semaflow binary that supervises the steps, and
// stops the browser once the tests are over.
func TestMain(m *testing.M) { testkit.MainThen(m, func() { browserCancel() }) }

// page is one browser tab in a context of its own (its own cookies).
type page struct {
	t   *testing.T
	ctx context.Context
	s   *uiServer
}

// newPage opens a tab against s; it closes when the test ends. Every
// action in it is bounded by timeout.
func newPage(t *testing.T, s *uiServer, timeout time.Duration) *page {
	t.Helper()
	b, err := sharedBrowser()
	if err != nil {
		t.Fatal(err)
	}
	tab, cancelTab := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tab); err != nil {
		cancelTab()
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(func() { cancel(); cancelTab() })
	// A script error fails the test: a page half drawn by a thrown
	// exception would otherwise pass for one that draws slowly.
	if err := chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok && e.ExceptionDetails != nil {
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			t.Errorf("a script on the page threw: %s", msg)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return &page{t: t, ctx: ctx, s: s}
}

// Login signs the tab in with token through the login form.
func (p *page) Login(token string) {
	p.t.Helper()
	p.Go("/login")
	p.WaitJS("the login form", `!!document.getElementById('token')`)
	p.Do("log in", chromedp.SetValue(chromedp.CSS(`#token`), token), chromedp.Click(chromedp.CSS(`#login-form button`)))
	p.WaitJS("the signed-in page", `location.pathname !== '/login' && !!document.getElementById('logout')`)
}

// Go opens a path of the server and waits for the page to load.
func (p *page) Go(path string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(p.s.URL+path)); err != nil {
		p.t.Fatalf("open %s: %v", path, err)
	}
}

// ColorScheme makes the page see prefers-color-scheme as scheme ("dark",
// "light"), for screenshots of both.
func (p *page) ColorScheme(scheme string) {
	p.t.Helper()
	p.Do("prefers-color-scheme: "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}

// Do runs actions, failing the test on error.
func (p *page) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// WaitJS waits until the JavaScript expression is truthy, across page
// loads (a poll ends when its page goes; the next page is polled anew).
func (p *page) WaitJS(what, expr string) {
	p.t.Helper()
	for i := 0; ; i++ {
		_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(25*time.Millisecond)))
		if err == nil {
			return
		}
		if p.ctx.Err() != nil || i >= 20 || !navigated(err) {
			p.t.Fatalf("waiting for %s (%s): %v\npage text: %s", what, expr, err, p.bodyText())
		}
		time.Sleep(20 * time.Millisecond) // the next page's context
	}
}

// navigated says whether err is a page load cutting off an evaluation.
func navigated(err error) bool {
	s := err.Error()
	return strings.Contains(s, "navigated or closed") || strings.Contains(s, "context was destroyed") ||
		strings.Contains(s, "Cannot find context")
}

// WaitText waits until the element sel (CSS) exists and its text holds want.
func (p *page) WaitText(sel, want string) {
	p.t.Helper()
	p.WaitJS(fmt.Sprintf("%q in %s", want, sel), fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); return !!e && e.textContent.includes(%s); })()`, jsString(sel), jsString(want)))
}

// evalJS evaluates expr (awaiting it when it is a promise) and decodes
// its value into T.
func evalJS[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (p *page) bodyText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(s) > 2000 {
		s = s[:2000] + "..."
	}
	return s
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var screenshotName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// screenshotDir is where screenshots go: $SEMAFLOW_SCREENSHOTS, or a
// directory under the system's temporary one that outlives the test.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SEMAFLOW_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "semaflow-ui-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot directory: %v", err)
	}
	return dir
}

// Screenshot saves the whole page as NAME.png and logs where. The page
// is scrolled to its top first: the header sticks to the top of the
// viewport, so a scrolled page would show it in its middle.
func (p *page) Screenshot(name string) string {
	p.t.Helper()
	p.Do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(screenshotDir(p.t), screenshotName.ReplaceAllString(name, "-")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	p.t.Logf("screenshot: %s", file)
	return file
}

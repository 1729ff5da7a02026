package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/semaflow/semaflow/internal/server"
)

// With scripts off (or Enter pressed before login.js runs) the login
// form posts the token in the request's body: it never reaches the URL
// or the history, and the browser is signed in and sent on.
func TestBrowserLoginWithoutScripts(t *testing.T) {
	const tok = "secret-token-0123456789"
	s := startServer(t, server.Token{Value: tok})
	p := newPage(t, s, 30*time.Second)
	p.Do("scripts off", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	p.Go("/templates")
	p.Do("log in by the form alone",
		chromedp.SendKeys(chromedp.CSS(`#token`), tok+"\r"))
	p.WaitJS("the templates page", `location.pathname === '/templates' && document.querySelector('main h1').textContent.includes('Templates')`)
	if got := evalJS[string](p, `document.querySelector('noscript') ? document.body.innerText : ''`); !strings.Contains(got, "needs JavaScript") {
		t.Errorf("with scripts off the page does not say it needs them: %q", got)
	}
	hist, err := chromedp.Run(p.ctx, chromedp.Action[cdppage.GetNavigationHistoryResult](func(ctx context.Context, tg *chromedp.Target) (cdppage.GetNavigationHistoryResult, error) {
		return cdp.Call(ctx, tg, cdppage.GetNavigationHistory, cdp.Empty{})
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist.Entries {
		if strings.Contains(e.URL, tok) || strings.Contains(e.URL, "token=") {
			t.Errorf("the token is in the history: %s", e.URL)
		}
	}
}

// POST /login takes a form's body as well as JSON: a good token signs in
// and sends the browser on (303), a wrong one shows the form again with
// the reason; a form from another site is refused.
func TestLoginFormBody(t *testing.T) {
	const tok = "secret-token-0123456789"
	s := startServer(t, server.Token{Value: tok})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(origin string, form url.Values) (*http.Response, string) {
		req, _ := http.NewRequest("POST", s.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := post(s.URL, url.Values{"token": {tok}, "next": {"/locks"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/locks" || len(resp.Cookies()) == 0 {
		t.Fatalf("a good token: %d %q %v %s", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies(), body)
	}
	resp, body = post(s.URL, url.Values{"token": {"wrong"}, "next": {"//evil.example/"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not one this server accepts") ||
		!strings.Contains(body, `method="post"`) || len(resp.Cookies()) != 0 || strings.Contains(body, "evil.example") {
		t.Errorf("a wrong token: %d cookies %v\n%s", resp.StatusCode, resp.Cookies(), body)
	}
	if resp, _ = post("http://evil.example", url.Values{"token": {tok}}); resp.StatusCode < 400 || len(resp.Cookies()) != 0 {
		t.Errorf("a form from another site: %d %v", resp.StatusCode, resp.Cookies())
	}
	// A token in the login page's URL is never echoed back.
	r, err := http.Get(s.URL + "/login?token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if strings.Contains(string(b), tok) {
		t.Error("the login page echoes ?token=")
	}
}

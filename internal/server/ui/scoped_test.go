package ui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/server/ui"
)

// A token scoped to namespace a: a lock of a that a workflow of another
// namespace holds shows as held, without naming it; a page of another
// namespace, or of something missing, says so and offers no actions.
func TestBrowserScopedTokenPages(t *testing.T) {
	const admin, scoped = "admintok-0123456789", "scopedA-tok-abcdef"
	s := startServer(t, server.Token{Value: admin}, server.Token{Value: scoped, Namespaces: []string{"a"}})
	holder := `{"workflow": {"metadata": {"name": "secret-team-b-job"}, "spec": {"entrypoint": "main",
	  "synchronization": {"mutexes": [{"name": "shared", "namespace": "a"}]},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "60"]}}]}}}`
	if code, out := s.API(t, "POST", "/api/v1/workflows/b", holder); code != 200 {
		t.Fatalf("submit in b: %d %v", code, out)
	}
	waiter := strings.NewReplacer("secret-team-b-job", "a-waits", `, "namespace": "a"`, "").Replace(holder)
	if code, out := s.API(t, "POST", "/api/v1/workflows/a", waiter); code != 200 {
		t.Fatalf("submit in a: %d %v", code, out)
	}
	p := newPage(t, s, 40*time.Second)
	p.Login(scoped)
	p.Go("/locks?namespace=a")
	card := `document.querySelector('[data-lock="a/Mutex/shared"]')`
	p.WaitJS("the mutex's card with its waiter", `(() => { const c = `+card+`; return !!c && !!c.querySelector('tr[data-waiter="a-waits"]'); })()`)
	p.WaitJS("the holder of another namespace", card+`.textContent.includes('held by a workflow of another namespace')`)
	if text := evalJS[string](p, card+`.textContent`); !strings.Contains(text, "1 of 1 in use") || strings.Contains(text, "Nobody holds it") || strings.Contains(text, "secret-team-b-job") {
		t.Errorf("the card reads %q", text)
	}

	visibleActions := `[...document.querySelectorAll('.actions button')].filter(b => !b.hidden && b.offsetParent !== null).map(b => b.textContent).join(',')`
	for _, c := range []struct{ path, want string }{
		{"/workflows/b/secret-team-b-job", "may only act in namespaces a"},
		{"/workflows/a/nope", "does not exist"},
		{"/cron-workflows/a/nope", "does not exist"},
		{"/templates/a/nope", "does not exist"},
	} {
		p.Go(c.path)
		p.WaitText("#summary", c.want)
		if got := evalJS[string](p, visibleActions); got != "" {
			t.Errorf("%s offers %s", c.path, got)
		}
	}
}

// Every page says, with scripts off, that it needs them.
func TestPagesSayTheyNeedScripts(t *testing.T) {
	u, err := ui.New("test")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	u.Register(mux)
	for _, path := range []string{"/", "/workflows/default/x", "/locks", "/cron-workflows", "/cron-workflows/default/x", "/templates", "/templates/default/x"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if !strings.Contains(rec.Body.String(), "<noscript>") {
			t.Errorf("%s has no <noscript> message", path)
		}
	}
}

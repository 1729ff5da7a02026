package ui_test

import (
	"fmt"
	"testing"
	"time"
)

// failOnce makes the page's next fetch of a path starting with prefix
// answer 503, as a server starting up may, and notes when the banner
// shows an error.
func failOnce(prefix string) string {
	return fmt.Sprintf(`(() => { window.__fail = 1; window.__saw = '';
		const f = window.fetch;
		window.fetch = (u, i) => String(u).startsWith(%s) && window.__fail-- > 0
			? Promise.resolve(new Response(JSON.stringify({message: 'the server is starting'}), {status: 503, headers: {'Content-Type': 'application/json'}}))
			: f(u, i);
		const fl = document.getElementById('flash');
		new MutationObserver(() => { if (!fl.hidden && fl.textContent) window.__saw = fl.textContent; })
			.observe(fl, {childList: true, attributes: true, characterData: true, subtree: true});
		return true; })()`, jsString(prefix))
}

// After the server comes back, the pages take down the errors they
// showed while it was gone.
func TestBrowserBannersClearOnReconnect(t *testing.T) {
	s := startServer(t)
	s.Submit(t, fmt.Sprintf(helloWorkflow, "back", "hi", "0"))
	s.WaitPhase(t, "back", "Succeeded", 20*time.Second)
	p := newPage(t, s, 30*time.Second)
	for _, c := range []struct{ path, fail string }{
		{"/locks", "/api/v1/sync-events"},
		{"/workflows/default/back", "/api/v1/workflows/default/back"},
	} {
		p.Go(c.path)
		p.WaitText("#conn", "Live")
		evalJS[bool](p, failOnce(c.fail))
		s.Drop()
		p.WaitJS(c.path+": an error shown", `window.__saw !== ''`)
		p.WaitJS(c.path+": the error gone once live again", `document.getElementById('flash').hidden && document.getElementById('conn').textContent.includes('Live')`)
	}
}

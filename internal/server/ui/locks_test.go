package ui_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/store"
)

// gatedWorkflow's one step holds the ConfigMap semaphore limits/seats
// until the file gate/name exists (outside /tmp, which steps see
// privately). It is Argo's create request, in JSON.
func gatedWorkflow(name, gate string) string {
	script, _ := json.Marshal("while [ ! -e " + filepath.Join(gate, name) + " ]; do sleep 0.05; done")
	return `{"workflow": {"metadata": {"name": "` + name + `"}, "spec": {"entrypoint": "main",
	  "templates": [{"name": "main", "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "seats"}}]},
	    "container": {"image": "x", "command": ["sh", "-c", ` + string(script) + `]}}]}}}`
}

// The Locks page shows a limit-1 semaphore's holder and its two waiters
// in order; when the holder finishes, the next moves to holders within
// 1 s with no reload; raising the limit from the page starts a waiter.
func TestBrowserLocksPageLive(t *testing.T) {
	s := startServer(t)
	gate, err := os.MkdirTemp("/var/tmp", "semaflow-ui-locks-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(gate) })
	if code, out := s.API(t, "POST", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {seats: \"1\"}\n"); code != 200 {
		t.Fatalf("apply the ConfigMap: %d %v", code, out)
	}
	if code, out := s.API(t, "POST", "/api/v1/sync/default", `{"key": "gpus", "limit": 2, "type": "DATABASE"}`); code != 200 {
		t.Fatalf("create the database semaphore: %d %v", code, out)
	}
	key := "default/ConfigMap/limits/seats"
	lockSel := fmt.Sprintf(`document.querySelector('[data-lock=%s]')`, jsString(key))
	p := newPage(t, s, 3*time.Minute)
	p.Go("/locks")
	p.WaitJS("the database semaphore's card", `!!document.querySelector('[data-lock="default/Database/gpus"]')`)

	// Submitted one at a time, so the queue's order is the submission's.
	for i, name := range []string{"one", "two", "three"} {
		if code, out := s.API(t, "POST", "/api/v1/workflows/default", gatedWorkflow(name, gate)); code != 200 {
			t.Fatalf("submit %s: %d %v", name, code, out)
		}
		p.WaitJS(name+" on the page", fmt.Sprintf(`(() => { const c = %s; return !!c && c.querySelectorAll('tr[data-holder], tr[data-waiter]').length === %d })()`, lockSel, i+1))
	}
	p.WaitJS("one holding, two and three waiting in order", fmt.Sprintf(`(() => {
		const c = %s;
		const h = [...c.querySelectorAll('table.holders tr[data-holder]')].map(r => r.dataset.holder);
		const w = [...c.querySelectorAll('table.waiters tr[data-waiter]')].map(r => r.dataset.waiter + '@' + r.cells[0].textContent);
		return h.join() === 'one' && w.join() === 'two@1,three@2';
	})()`, lockSel))
	if text := evalJS[string](p, lockSel+`.textContent`); !strings.Contains(text, "1 of 1 in use") || !strings.Contains(text, "Token") {
		t.Errorf("the card says %q", text)
	}
	// No hold has ended: start times and the release are unknown, and
	// the card says no hold time is recorded.
	estimates := fmt.Sprintf(`(() => { const c = %s; return [...c.querySelectorAll('table.waiters td.start, table.holders td.release')].map(td => td.textContent).join('|') + '|' + c.querySelector('.lock-hist').textContent; })()`, lockSel)
	if text := evalJS[string](p, estimates); text != "unknown (no history yet)|unknown (no history yet)|unknown (no history yet)|Hold times: none recorded yet." {
		t.Errorf("with no history the estimates read %q", text)
	}
	// With ten recorded holds of 2 minutes (seeded into the store), the
	// page gives numbers, without a reload: one ends within 2m, two
	// starts then, three 2m later.
	var d eta.Digest
	for range eta.MinSamples {
		d.Add(2 * time.Minute)
	}
	digest, err := d.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Local.Store.Update(t.Context(), func(tx store.Tx) error {
		return tx.PutHoldStats(t.Context(), store.HoldStats{Lock: key, Digest: string(digest)})
	}); err != nil {
		t.Fatal(err)
	}
	p.WaitJS("estimates from the history", fmt.Sprintf(`/^in ~[0-9ms]+ \(90%%: [0-9ms]+\)\|in ~[0-9ms]+ \(90%%: [0-9ms]+\)\|in ~[34]m[0-9s]* \(90%%: [0-9ms]+\)\|Hold times: 10 recorded, median 2m, 90%% 2m\.$/.test(%s)`, estimates))
	p.Screenshot("locks-page")

	// The moment two shows among the holders, by the page's clock.
	p.WaitJS("the observer", fmt.Sprintf(`(() => {
		window.__moved = 0;
		const seen = () => { const c = %s; return !!c && !!c.querySelector('table.holders tr[data-holder="two"]'); };
		new MutationObserver(() => { if (!window.__moved && seen()) window.__moved = Date.now(); })
			.observe(document.getElementById('locks'), {subtree: true, childList: true});
		window.__loadedAt = performance.timeOrigin;
		return true;
	})()`, lockSel))
	loadedAt := evalJS[float64](p, `window.__loadedAt`)
	if err := os.WriteFile(filepath.Join(gate, "one"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The release as the engine reports it: one's phase turns Succeeded.
	s.WaitPhase(t, "one", "Succeeded", time.Minute)
	released := time.Now()
	p.WaitJS("two moved to holders", `window.__moved > 0`)
	moved := time.UnixMilli(int64(evalJS[float64](p, `window.__moved`)))
	lag := moved.Sub(released)
	t.Logf("two shown holding %s after the API reported one finished", lag.Round(time.Millisecond))
	if lag > time.Second {
		t.Errorf("two moved to holders %s after the release, want within 1 s", lag)
	}
	if again := evalJS[float64](p, `performance.timeOrigin`); again != loadedAt {
		t.Errorf("the page reloaded")
	}
	p.WaitJS("three first in the queue", fmt.Sprintf(`(() => { const w = [...%s.querySelectorAll('table.waiters tr[data-waiter]')]; return w.length === 1 && w[0].dataset.waiter === 'three' && w[0].cells[0].textContent === '1'; })()`, lockSel))

	// Raise the limit from the page: three starts.
	p.WaitJS("set the limit to 2", fmt.Sprintf(`(() => {
		const c = %s; const i = c.querySelector('form.lock-limit input'); i.value = '2';
		c.querySelector('form.lock-limit').requestSubmit(); return true; })()`, lockSel))
	s.WaitPhase(t, "three", "Running", time.Minute)
	p.WaitJS("three holding", fmt.Sprintf(`!!%s.querySelector('table.holders tr[data-holder="three"]') && %s.textContent.includes('2 of 2 in use')`, lockSel, lockSel))
	_, cm := s.API(t, "GET", "/api/v1/configmaps/default/limits", "")
	if data, _ := cm["data"].(map[string]any); data["seats"] != "2" {
		t.Errorf("ConfigMap after the page set the limit: %v", cm)
	}

	// A database semaphore's limit too.
	p.WaitJS("set gpus to 5", `(() => { const c = document.querySelector('[data-lock="default/Database/gpus"]');
		c.querySelector('form.lock-limit input').value = '5'; c.querySelector('form.lock-limit').requestSubmit(); return true; })()`)
	p.WaitJS("gpus shows 5", `document.querySelector('[data-lock="default/Database/gpus"]').textContent.includes('0 of 5 in use')`)
	if _, out := s.API(t, "GET", "/api/v1/sync/default/gpus?type=DATABASE", ""); fmt.Sprint(out["limit"]) != "5" {
		t.Errorf("database semaphore after the page set it: %v", out)
	}
	for _, n := range []string{"two", "three"} {
		_ = os.WriteFile(filepath.Join(gate, n), nil, 0o644)
	}
}

package ui_test

// The README's two screenshots come from this scene: a few workflows in
// the style of examples/priority.yaml and examples/db-cpu-dag.yaml,
// stopped mid-way by gate files so that locks have holders and queues.
// SEMAFLOW_README_SHOTS=1 writes them into docs/screenshots; otherwise
// the scene still runs and its content is checked, and the pictures go
// with the other screenshots.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/store"
)

// readmeMaxPNG is the most a README screenshot may weigh.
const readmeMaxPNG = 150 << 10

// gatedStep is a container template that prints its lines, then runs
// until the file GATE/<gate> exists (outside /tmp, which steps see
// privately).
func gatedStep(gateDir, gate string, lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("echo '" + l + "'; ")
	}
	b.WriteString("while [ ! -e " + filepath.Join(gateDir, gate) + " ]; do sleep 0.1; done; echo done")
	s, _ := json.Marshal(b.String())
	return `{image: alpine:3.23, command: [sh, -c, ` + string(s) + `]}`
}

// readmeScene submits the workflows and waits until the queues are
// formed.
func readmeScene(t *testing.T, s *uiServer, gate string) {
	t.Helper()
	if code, out := s.API(t, "POST", "/api/v1/configmaps/default", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {db-connections: \"3\", cpu-intensive: \"2\"}\n"); code != 200 {
		t.Fatalf("apply the ConfigMap: %d %v", code, out)
	}
	// Ten and more recorded holds per lock, so every waiter gets a start
	// estimate with numbers.
	seed := map[string][]time.Duration{}
	for i := range 14 {
		seed["default/Mutex/licence-seat"] = append(seed["default/Mutex/licence-seat"], time.Duration(70+9*i)*time.Second)
		seed["default/ConfigMap/limits/cpu-intensive"] = append(seed["default/ConfigMap/limits/cpu-intensive"], time.Duration(150+23*i)*time.Second)
		seed["default/ConfigMap/limits/db-connections"] = append(seed["default/ConfigMap/limits/db-connections"], time.Duration(20+3*i)*time.Second)
	}
	if err := s.Local.Store.Update(t.Context(), func(tx store.Tx) error {
		for key, ds := range seed {
			var d eta.Digest
			for _, v := range ds {
				d.Add(v)
			}
			text, err := d.MarshalText()
			if err != nil {
				return err
			}
			if err := tx.PutHoldStats(t.Context(), store.HoldStats{Lock: key, Digest: string(text)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("seed the hold times: %v", err)
	}

	mutexJob := func(name string, priority int) string {
		return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s, labels: {team: reports}}
spec:
  entrypoint: main
  priority: %d
  templates:
  - name: main
    steps:
    - - {name: prepare, template: prepare}
    - - {name: use-seat, template: use-seat}
  - name: prepare
    container: {image: busybox, command: [sh, -c, 'echo preparing']}
  - name: use-seat
    synchronization:
      mutexes: [{name: licence-seat}]
    container: %s
`, name, priority, gatedStep(gate, name, "using the licence seat"))
	}
	oneStep := func(name string, priority int, lock string, lines ...string) string {
		return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  priority: %d
  templates:
  - name: main
    synchronization: {%s}
    container: %s
`, name, priority, lock, gatedStep(gate, name, lines...))
	}
	cpu := `semaphores: [{configMapKeyRef: {name: limits, key: cpu-intensive}}]`
	db := `semaphores: [{configMapKeyRef: {name: limits, key: db-connections}}]`

	// The licence seat: one holder, then three waiters that arrive in the
	// reverse of their priority order.
	s.Submit(t, oneStep("nightly-report", 0, `mutexes: [{name: licence-seat}]`, "nightly report: building"))
	s.WaitPhase(t, "nightly-report", "Running", 30*time.Second)
	s.Submit(t, mutexJob("batch-job", 1))
	s.Submit(t, mutexJob("normal-job", 10))
	s.Submit(t, mutexJob("urgent-job", 100))

	// The CPU semaphore: a backfill and the pipeline's crunches hold it;
	// model training, more urgent, queues ahead of the pipeline's rest.
	s.Submit(t, oneStep("backfill-2024-q3", 0, cpu, "backfilling 2024-Q3"))
	s.Submit(t, oneStep("report-export", 0, db, "exporting the monthly report"))
	s.WaitPhase(t, "backfill-2024-q3", "Running", 30*time.Second)
	s.Submit(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: etl-orders-x7k2p, labels: {app: etl}}
spec:
  entrypoint: pipeline
  priority: 10
  templates:
  - name: pipeline
    dag:
      tasks:
      - {name: extract-orders, template: db-query, arguments: {parameters: [{name: table, value: orders}]}}
      - {name: extract-users, template: db-query, arguments: {parameters: [{name: table, value: users}]}}
      - {name: extract-items, template: db-slow, arguments: {parameters: [{name: table, value: items}]}}
      - name: crunch
        template: cpu-job
        depends: "extract-orders && extract-users"
        arguments: {parameters: [{name: shard, value: "{{item}}"}]}
        withItems: [1, 2, 3]
      - {name: load, template: db-query, depends: "crunch && extract-items", arguments: {parameters: [{name: table, value: report}]}}
  - name: db-query
    inputs: {parameters: [{name: table}]}
    synchronization: {%[1]s}
    container: {image: alpine:3.23, command: [sh, -c, 'echo "querying {{inputs.parameters.table}}"; echo "12840 rows"']}
  - name: db-slow
    inputs: {parameters: [{name: table}]}
    synchronization: {%[1]s}
    container: %[3]s
  - name: cpu-job
    inputs: {parameters: [{name: shard}]}
    synchronization: {%[2]s}
    container:
      image: alpine:3.23
      command: [sh, -c]
      args: ["echo crunching shard {{inputs.parameters.shard}}; for p in 10 20 30 40 50 60; do echo \"shard {{inputs.parameters.shard}}: $p%% of 48213 rows\"; sleep 0.05; done; while [ ! -e %[4]s ]; do sleep 0.1; done"]
`, db, cpu, gatedStep(gate, "extract-items", "querying items", "streaming 1.2M rows"), filepath.Join(gate, "crunch")))
	// Model training arrives once the pipeline's crunches hold or wait,
	// so it queues rather than takes the free permit.
	waitNodes(t, s, "etl-orders-x7k2p", func(nodes map[string]any) bool {
		n := 0
		for _, v := range nodes {
			m, _ := v.(map[string]any)
			if name, _ := m["displayName"].(string); strings.HasPrefix(name, "crunch(") {
				n++
			}
		}
		return n == 3
	})
	s.Submit(t, oneStep("train-model", 50, cpu, "training"))
}

// waitNodes polls a workflow until ok holds of its nodes.
func waitNodes(t *testing.T, s *uiServer, name string, ok func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, out := s.API(t, "GET", "/api/v1/workflows/default/"+name, "")
		st, _ := out["status"].(map[string]any)
		nodes, _ := st["nodes"].(map[string]any)
		if ok(nodes) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's nodes did not come as expected: %v", name, nodes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncHistoryStub answers the Locks page's history request with an hour
// of made-up points for the scene's locks, ending a minute ago; the
// page's live points follow them. A server started seconds ago has no
// hour of history, and the README's chart should look like one that has.
func syncHistoryStub(now time.Time) []byte {
	type pt struct {
		T       int64 `json:"t"`
		Holders int   `json:"holders"`
		Waiters int   `json:"waiters"`
	}
	shape := map[string]func(x float64) (int, int){
		"default/Mutex/licence-seat": func(x float64) (int, int) {
			w := int(math.Max(0, math.Round(1.6*math.Sin(x*9)+1.2*x*2)))
			return 1, w
		},
		"default/ConfigMap/limits/cpu-intensive": func(x float64) (int, int) {
			h := 1 + int(math.Round(math.Max(0, math.Sin(x*5+1))))
			w := int(math.Max(0, math.Round(2.2*math.Sin(x*7-1)+1.5*x)))
			if w > 0 {
				h = 2
			}
			return h, w
		},
		"default/ConfigMap/limits/db-connections": func(x float64) (int, int) {
			return int(math.Round(1.5 + 1.4*math.Sin(x*11))), 0
		},
	}
	type item struct {
		Lock   string `json:"lock"`
		Points []pt   `json:"points"`
	}
	var items []item
	from := now.Add(-time.Hour)
	for key, f := range shape {
		var pts []pt
		for i := range 58 {
			x := float64(i) / 58
			h, w := f(x)
			pts = append(pts, pt{T: from.Add(time.Duration(i) * time.Minute).UnixMilli(), Holders: h, Waiters: w})
		}
		items = append(items, item{Lock: key, Points: pts})
	}
	b, _ := json.Marshal(map[string]any{"items": items, "from": from.UnixMilli(), "now": now.UnixMilli(), "stepSeconds": 2})
	return b
}

// stubHistory makes the page's requests for /api/v1/sync-history get
// body instead of the server's answer.
func (p *page) stubHistory(body []byte) {
	p.t.Helper()
	var target *chromedp.Target
	p.Do("intercept the history", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		target = t
		_, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/sync-history*"}}})
		return err
	}))
	paused := make(chan fetch.RequestID, 16)
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e.RequestID:
			default:
			}
		}
	}); err != nil {
		p.t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-p.ctx.Done():
				return
			case id := <-paused:
				_, _ = cdp.Call(p.ctx, target, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: id, ResponseCode: 200,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}}, Body: body})
			}
		}
	}()
}

// readmeShot saves the page down to the CSS pixel bottom (a JavaScript
// expression; "" for the whole page) as name.png beside the other
// screenshots, and into docs/screenshots too with SEMAFLOW_README_SHOTS=1.
// A README picture must stay small: it is cut and compressed hard.
func (p *page) readmeShot(name, bottom string) {
	p.t.Helper()
	file := p.Screenshot(name)
	b, err := os.ReadFile(file)
	if err != nil {
		p.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		p.t.Fatalf("%s: %v", file, err)
	}
	if bottom != "" {
		if y := int(evalJS[float64](p, bottom)); y > 0 && y < img.Bounds().Dy() {
			img = img.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(image.Rect(0, 0, img.Bounds().Dx(), y))
		}
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, paletted(img)); err != nil {
		p.t.Fatal(err)
	}
	b = out.Bytes()
	if err := os.WriteFile(file, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("%s: %d KB", name, len(b)>>10)
	if len(b) > readmeMaxPNG {
		p.t.Errorf("%s is %d KB, more than the README's %d KB", name, len(b)>>10, readmeMaxPNG>>10)
	}
	if os.Getenv("SEMAFLOW_README_SHOTS") != "1" {
		return
	}
	dst := filepath.Join("..", "..", "..", "docs", "screenshots", name+".png")
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("README screenshot: %s", dst)
}

// paletted maps img onto its 256 commonest colours: a page is mostly
// flat colours, and text edges take the nearest; the file is a third.
func paletted(img image.Image) *image.Paletted {
	b := img.Bounds()
	count := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	all := make([]color.RGBA, 0, len(count))
	for c := range count {
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b color.RGBA) int {
		if d := count[b] - count[a]; d != 0 {
			return d
		}
		return int(a.R)<<16 | int(a.G)<<8 | int(a.B) - (int(b.R)<<16 | int(b.G)<<8 | int(b.B))
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range all[:min(256, len(all))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	nearest := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := nearest[c]
			if !ok {
				i = uint8(pal.Index(c))
				nearest[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}

// The scene behind the README's screenshots: the Locks page with
// holders, priority-ordered waiters, start estimates and a chart; a DAG
// with nodes done, running, waiting for a lock and not yet started, its
// running node's log open.
func TestReadmeScreenshots(t *testing.T) {
	s := startServer(t)
	gate, err := os.MkdirTemp("/var/tmp", "semaflow-ui-readme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(gate) })
	readmeScene(t, s, gate)

	p := newPage(t, s, time.Minute)
	p.stubHistory(syncHistoryStub(time.Now()))
	p.Go("/locks")
	seat := `document.querySelector('[data-lock="default/Mutex/licence-seat"]')`
	cpu := `document.querySelector('[data-lock="default/ConfigMap/limits/cpu-intensive"]')`
	order := func(card string) string {
		return `[...` + card + `.querySelectorAll('table.waiters tr[data-waiter]')].map(r => r.dataset.waiter + '@' + r.cells[3].textContent).join()`
	}
	p.WaitJS("the licence seat's queue in priority order", `(() => { const c = `+seat+`; return !!c &&
		c.querySelector('table.holders tr[data-holder]')?.dataset.holder === 'nightly-report' &&
		`+order(seat)+` === 'urgent-job@100,normal-job@10,batch-job@1'; })()`)
	p.WaitJS("the CPU semaphore: two holders, train-model first in line", `(() => { const c = `+cpu+`; return !!c &&
		c.querySelectorAll('table.holders tr[data-holder]').length === 2 &&
		/^train-model@50,etl-orders-x7k2p@10,etl-orders-x7k2p@10$/.test(`+order(cpu)+`); })()`)
	if got := evalJS[string](p, seat+`.querySelector('.lock-name').textContent`); got != "licence-seat" {
		t.Errorf("the mutex's card is titled %q", got)
	}
	p.WaitJS("start estimates with numbers", `[...`+seat+`.querySelectorAll('table.waiters td.start')].every(td => /^in ~\d/.test(td.textContent))`)
	p.WaitJS("the chart's hour", `[...document.querySelectorAll('.lock-chart path.holders')].every(p => (p.getAttribute('d') || '').split('V').length > 10)`)
	p.readmeShot("locks", `document.querySelectorAll('.lock-card')[1].getBoundingClientRect().bottom + window.scrollY + 12`)

	p.Go("/workflows/default/etl-orders-x7k2p")
	phases := `(() => { const n = [...document.querySelectorAll('#graph g.node')];
		const c = (f) => n.filter(f).length;
		return [c(g => g.dataset.phase === 'Succeeded'), c(g => g.dataset.phase === 'Running' && g.dataset.lock === 'holding'),
			c(g => g.dataset.lock === 'waiting' && g.dataset.phase === 'Pending')].join(); })()`
	p.WaitJS("done, running and waiting nodes", phases+` === '2,2,2'`)
	if !evalJS[bool](p, `(() => { const x = (n) => document.querySelector('#graph g.node[data-name="' + n + '"]').getBoundingClientRect().left;
		return x('crunch(0:1)') < x('crunch(1:2)') && x('crunch(1:2)') < x('crunch(2:3)') && x('extract-orders') < x('extract-users') && x('extract-users') < x('extract-items'); })()`) {
		t.Error("the nodes are not in the template's and the items' order")
	}
	p.Do("open the running crunch", chromedp.Click(chromedp.CSS(`#graph g.node[data-lock="holding"][data-name^="crunch"]`)))
	p.WaitText("#node-log", "60% of 48213 rows")
	p.WaitText("#node-locks", "fencing token")
	p.readmeShot("workflow", "")
	p.ColorScheme("dark")
	p.Screenshot("workflow-dark")
	for _, n := range []string{"nightly-report", "urgent-job", "normal-job", "batch-job", "backfill-2024-q3", "report-export", "extract-items", "crunch", "train-model"} {
		_ = os.WriteFile(filepath.Join(gate, n), nil, 0o644)
	}
}

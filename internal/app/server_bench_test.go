package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/server"
)

// benchServer is the real engine on SQLite behind the real HTTP handler.
type benchServer struct {
	l  *App
	ts *httptest.Server
	hc *http.Client
}

func newBenchServer(b *testing.B) *benchServer {
	l, err := Start(context.Background(), Options{Self: binary})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchServer{l: l, ts: httptest.NewServer(server.New(l.Engine).Handler()), hc: &http.Client{}}
	b.Cleanup(func() {
		s.ts.Close()
		l.Engine.StopAll(true, "benchmark over")
		l.Engine.Drain()
		_ = l.Close()
	})
	return s
}

func (s *benchServer) call(b *testing.B, method, path, body string) []byte {
	req, _ := http.NewRequest(method, s.ts.URL+path, strings.NewReader(body))
	resp, err := s.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

func (s *benchServer) setLimit(b *testing.B, n int) {
	s.call(b, "PUT", "/api/v1/configmaps/default/limits", fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {sem: %q}\n", fmt.Sprint(n)))
}

// waitingBody is a workflow queued on the "limits/sem" semaphore.
func waitingBody(i int) string {
	return fmt.Sprintf(`{"workflow": {"metadata": {"name": "w%05d"}, "spec": {"entrypoint": "main",
	  "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "sem"}}]},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`, i)
}

// BenchmarkSubmitAPI measures workflow submission over HTTP, one client
// after another, each workflow queuing on a paused semaphore (limit 0) so
// the figure is the API, the checks, the store and the lock queue.
func BenchmarkSubmitAPI(b *testing.B) {
	s := newBenchServer(b)
	s.setLimit(b, 0)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		s.call(b, "POST", "/api/v1/workflows/default", waitingBody(i))
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "workflows/s")
}

// BenchmarkTenThousandWaiting queues 10,000 workflows on one paused
// semaphore, then reports the whole process's peak RSS, the time to list
// all 10,000 over HTTP, and, once the limit is raised to 1, the handoff
// gaps of the first 200 holders with the rest still queued behind them.
func BenchmarkTenThousandWaiting(b *testing.B) {
	const n = 10000
	for range b.N {
		s := newBenchServer(b)
		s.setLimit(b, 0)
		start := time.Now()
		var uids []string
		for i := range n {
			var wf struct {
				Metadata wfv1.ObjectMeta `json:"metadata"`
			}
			if err := json.Unmarshal(s.call(b, "POST", "/api/v1/workflows/default", waitingBody(i)), &wf); err != nil {
				b.Fatal(err)
			}
			uids = append(uids, wf.Metadata.UID)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "submitted/s")
		ctx := context.Background()
		for deadline := time.Now().Add(time.Minute); ; {
			views, err := s.l.Engine.Locks(ctx, "default/ConfigMap/limits/sem")
			if err != nil {
				b.Fatal(err)
			}
			if len(views) == 1 && len(views[0].Waiters) == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("not all %d queued after a minute", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The first list after the submissions, then the best of three
		// more (warm caches).
		var lists []time.Duration
		for range 4 {
			listStart := time.Now()
			out := s.call(b, "GET", "/api/v1/workflows/default", "")
			lists = append(lists, time.Since(listStart))
			if c := strings.Count(string(out), `"phase":"Pending"`); c != n {
				b.Fatalf("list returned %d pending workflows, want %d", c, n)
			}
		}
		b.ReportMetric(float64(lists[0].Microseconds())/1000, "ms-first-list-10k")
		b.ReportMetric(float64(slices.Min(lists[1:]).Microseconds())/1000, "ms-list-10k")
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "MiB-peak-RSS")
		s.setLimit(b, 1)
		var done []*wfv1.Workflow
		for _, uid := range uids[:200] {
			wf, err := s.l.Engine.Wait(ctx, uid)
			if err != nil {
				b.Fatal(err)
			}
			done = append(done, wf)
		}
		gaps := handoffGaps(b, done)
		b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds())/1000, "ms-median-handoff")
		b.ReportMetric(float64(gaps[len(gaps)*99/100].Microseconds())/1000, "ms-p99-handoff")
	}
}

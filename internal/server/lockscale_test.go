package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/server"
)

// rawLockStream opens sync-events on a bare connection (no client
// goroutines) and reads its response headers.
func rawLockStream(t *testing.T, base, token string) (net.Conn, *bufio.Reader, int) {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	fmt.Fprintf(c, "GET /api/v1/sync-events?namespace=team-a HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n", u.Host, token)
	br := bufio.NewReaderSize(c, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		return c, br, resp.StatusCode
	}
	return c, br, 200
}

// skipEvent reads up to the end of the next event without keeping it
// (ReadSlice allocates nothing): the test measures the server's memory.
func skipEvent(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	inData := false
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			inData = inData || bytes.HasPrefix(line, []byte("data: "))
			continue
		case err != nil:
			t.Fatalf("reading a lock event: %v", err)
		}
		if inData || bytes.HasPrefix(line, []byte("data: ")) {
			return
		}
	}
}

// Many watchers of a big queue cost one encoding per change, not one
// each; a quiet stream costs net/http's two goroutines and no more; and
// one token's streams are capped (429, Argo's body).
func TestLockStreamsScale(t *testing.T) {
	c, _ := lockAPI(t, []server.Token{{Value: adminToken}, {Value: teamAToken, Namespaces: []string{"team-a"}}})
	gate := gateDir(t)
	if code, body := c.do(adminToken, "POST", "/api/v1/sync/team-a", `{"key": "seats", "limit": 1, "type": "DATABASE"}`); code != 200 {
		t.Fatalf("sync create: %d %s", code, body)
	}
	if code, body := c.do(adminToken, "POST", "/api/v1/workflows/team-a", gatedWorkflow("team-a", "holder", gate)); code != 200 {
		t.Fatalf("holder: %d %s", code, body)
	}
	waiter := func(i int) {
		code, body := c.do(adminToken, "POST", "/api/v1/workflows/team-a", fmt.Sprintf(`{"workflow": {"metadata": {"name": "w-%d-with-a-longer-name-for-a-bigger-event", "namespace": "team-a"},
		  "spec": {"entrypoint": "main", "templates": [{"name": "main", "synchronization": {"semaphores": [{"database": {"key": "seats"}}]},
		  "container": {"image": "x", "command": ["true"]}}]}}}`, i))
		if code != 200 {
			t.Fatalf("waiter %d: %d %s", i, code, body)
		}
	}
	const waiters = 150
	for i := range waiters {
		waiter(i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := openLockStream(t, ctx, http.DefaultClient, c.base+"/api/v1/sync-events?namespace=team-a", teamAToken)
	next(t, watch, "team-a/Database/seats", 20*time.Second, func(v locks.View) bool { return len(v.Queue) == waiters })

	base := runtime.NumGoroutine()
	const streams = 255 // and the one above: the token's cap, 256
	type conn struct {
		c  net.Conn
		br *bufio.Reader
	}
	var open []conn
	for range streams {
		nc, br, code := rawLockStream(t, c.base, teamAToken)
		if code != 200 {
			t.Fatalf("stream %d: %d", len(open)+1, code)
		}
		skipEvent(t, nc, br)
		open = append(open, conn{nc, br})
	}
	time.Sleep(200 * time.Millisecond)
	per := float64(runtime.NumGoroutine()-base) / streams
	t.Logf("%d quiet lock streams: %.2f goroutines each", streams, per)
	if per > 2.2 {
		t.Errorf("%d quiet lock streams: %.2f goroutines each, want at most 2 (net/http's)", streams, per)
	}
	if _, br, code := rawLockStream(t, c.base, teamAToken); code != http.StatusTooManyRequests {
		t.Errorf("stream %d of one token: %d, want 429", streams+2, code)
	} else if b, _ := br.Peek(br.Buffered()); !strings.Contains(string(b), `"code":8`) {
		t.Errorf("429 without Argo's error body: %s", b)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	waiter(waiters)
	for _, s := range open {
		skipEvent(t, s.c, s.br)
	}
	runtime.ReadMemStats(&after)
	mb := float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
	t.Logf("one change of a %d-waiter queue to %d watchers: %.1f MiB allocated", waiters+1, streams, mb)
	if mb > 16 {
		t.Errorf("one change of a %d-waiter queue sent to %d watchers allocated %.1f MiB, want one encoding's worth", waiters+1, streams, mb)
	}
}

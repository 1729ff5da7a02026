package executor

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

func awaitStarted(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("not reported started within 10 s")
	}
}

// An HTTP readinessProbe reports the step started only once it answers
// 200-399, tried every period.
func TestHTTPProbeWaitsForSuccess(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ping" || r.Header.Get("X-Probe") != "yes" || calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	started := make(chan struct{})
	stop := whenReady(&Probe{Port: portOf(t, srv.Listener.Addr().String()), Path: "/ping", Headers: map[string]string{"X-Probe": "yes"},
		Period: 10 * time.Millisecond}, func() { close(started) })
	defer stop()
	awaitStarted(t, started)
	if calls.Load() != 3 {
		t.Fatalf("started after %d tries, want 3", calls.Load())
	}
}

// A TCP probe passes once something listens on the port; once stopped,
// no probe reports the step started.
func TestTCPProbeAndStop(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := portOf(t, l.Addr().String())
	_ = l.Close()
	var after atomic.Bool
	stop := whenReady(&Probe{TCP: true, Port: port, Period: 10 * time.Millisecond}, func() { after.Store(true) })
	time.Sleep(50 * time.Millisecond)
	stop()
	if after.Load() {
		t.Fatal("reported started with nothing listening")
	}
	l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Skip("the port was taken meanwhile")
	}
	defer l.Close()
	started := make(chan struct{})
	stop = whenReady(&Probe{TCP: true, Port: port, Period: 10 * time.Millisecond}, func() { close(started) })
	defer stop()
	awaitStarted(t, started)
}

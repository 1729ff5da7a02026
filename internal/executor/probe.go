package executor

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Probe is a daemon's readinessProbe, made as the kubelet makes it but
// always against the loopback address, where the step listens (steps
// share the host's network): an HTTP GET that answers 200-399, or a TCP
// connection that opens.
type Probe struct {
	// TCP says the probe opens a connection; otherwise it is an HTTP GET
	// of Path with Headers, over Scheme (HTTP or HTTPS).
	TCP     bool              `json:"tcp,omitempty"`
	Port    int               `json:"port"`
	Path    string            `json:"path,omitempty"`
	Scheme  string            `json:"scheme,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// InitialDelay comes before the first try, Period between tries,
	// Timeout bounds each try.
	InitialDelay time.Duration `json:"initialDelay,omitempty"`
	Period       time.Duration `json:"period,omitempty"`
	Timeout      time.Duration `json:"timeout,omitempty"`
}

// Kubernetes' defaults.
const (
	defaultProbePeriod  = 10 * time.Second
	defaultProbeTimeout = time.Second
)

// whenReady calls started once p passes (at once without a probe) and
// returns the call that stops probing, which waits until no probe runs,
// so started is never called after it returns.
func whenReady(p *Probe, started func()) (stop func()) {
	if p == nil {
		started()
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		wait := p.InitialDelay
		for {
			t := time.NewTimer(wait)
			select {
			case <-quit:
				t.Stop()
				return
			case <-t.C:
			}
			if p.try(quit) {
				started()
				return
			}
			wait = p.Period
			if wait <= 0 {
				wait = defaultProbePeriod
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		wg.Wait()
	}
}

// try makes one probe, cut short when quit closes.
func (p *Probe) try(quit <-chan struct{}) bool {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = defaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port))
	if p.TCP {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}
	scheme := "http"
	if p.Scheme == "HTTPS" {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+p.Path, nil)
	if err != nil {
		return false
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	// As the kubelet: no certificate check, no redirect to another host
	// followed.
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}, //nolint:gosec // the kubelet does not verify a probe's certificate either
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

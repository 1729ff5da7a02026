package executor

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/expr"
)

// HTTPRequest is an http template's request: the supervisor makes it
// itself, on the engine's side, instead of starting a process.
type HTTPRequest struct {
	Method  string       `json:"method"`
	URL     string       `json:"url"`
	Headers []HTTPHeader `json:"headers,omitempty"`
	Body    []byte       `json:"body,omitempty"`
	// Timeout bounds the whole exchange, body included.
	Timeout            time.Duration `json:"timeout"`
	InsecureSkipVerify bool          `json:"insecureSkipVerify,omitempty"`
	SuccessCondition   string        `json:"successCondition,omitempty"`
	Policy             HTTPPolicy    `json:"policy"`
}

// HTTPHeader is one request header, its value resolved.
type HTTPHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaxHTTPRedirects is how many redirects an http template follows.
const MaxHTTPRedirects = 5

// maxHTTPBody is how much of a response body is read: what outputs.result
// keeps. A longer body fails the node rather than be judged cut.
var maxHTTPBody = MaxResult

// runHTTP makes an http template's request and judges its response. kill,
// the spec's deadline and the lease end it early as they end a process.
func runHTTP(dir string, spec *Spec, lease *leaseWatch, kill <-chan string, started func()) *Result {
	res := &Result{Started: time.Now()}
	logf, err := createPrivate(filepath.Join(dir, LogFile))
	if err != nil {
		res.StartError = err.Error()
		return res
	}
	defer logf.Close()
	var expired <-chan struct{}
	var epoch *leaseEpoch
	if lease != nil {
		if epoch, err = lease.admit(); err != nil {
			res.StartError = err.Error()
			return res
		}
		expired = epoch.expired
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan httpOutcome, 1)
	started()
	go func() { done <- doHTTP(ctx, spec.HTTP, logf) }()
	var timer <-chan time.Time
	if !spec.Deadline.IsZero() {
		t := time.NewTimer(time.Until(spec.Deadline))
		defer t.Stop()
		timer = t.C
	}
	var out httpOutcome
	select {
	case out = <-done:
	case <-timer:
		res.Killed = spec.DeadlineMessage
	case reason := <-kill:
		res.Killed = reason
	case <-expired:
		res.Killed = "killed: " + leaseExpiredText(epoch.at)
	}
	if res.Killed != "" {
		cancel()
		<-done
		fmt.Fprintln(logf, res.Killed)
	} else {
		res.HTTP, res.Stdout, res.Truncated = out.verdict, string(out.body), out.cut
	}
	res.Finished = time.Now()
	return res
}

// httpOutcome is what doHTTP learned.
type httpOutcome struct {
	verdict *domain.HTTPResult
	body    []byte
	cut     bool // body holds only the first maxHTTPBody bytes
}

// doHTTP makes the request and judges the response.
func doHTTP(ctx context.Context, r *HTTPRequest, log io.Writer) httpOutcome {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	fmt.Fprintf(log, "%s %s\n", method, r.URL)
	fail := func(format string, args ...any) httpOutcome {
		msg := fmt.Sprintf(format, args...)
		fmt.Fprintln(log, msg)
		return httpOutcome{verdict: &domain.HTTPResult{Failure: msg}}
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return fail("%v", err)
	}
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "host") {
			req.Host = h.Value
		} else {
			req.Header.Add(h.Name, h.Value)
		}
	}
	client := httpClient(r)
	defer client.CloseIdleConnections()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return fail("%s", requestError(err, ctx, r))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(maxHTTPBody)+1))
	if err != nil {
		return fail("%s", requestError(err, ctx, r))
	}
	size := fmt.Sprintf("%d bytes", len(body))
	if len(body) > maxHTTPBody {
		size = fmt.Sprintf("over %d bytes", maxHTTPBody)
	}
	fmt.Fprintf(log, "%s, %s in %s\n", resp.Status, size, time.Since(start).Round(time.Millisecond))
	h := &domain.HTTPResult{StatusCode: resp.StatusCode}
	if len(body) > maxHTTPBody {
		h.Failure = fmt.Sprintf("the response body is over %d bytes: semaflow keeps at most that much of an http template's response (outputs.result), so it cannot judge or pass on the whole", maxHTTPBody)
		fmt.Fprintln(log, h.Failure)
		return httpOutcome{verdict: h, body: body[:maxHTTPBody], cut: true}
	}
	h.Failure = verdict(r, method, resp, body)
	if h.Failure != "" {
		fmt.Fprintln(log, h.Failure)
	}
	return httpOutcome{verdict: h, body: body}
}

// verdict is Argo's: without a successCondition a 2xx status succeeds;
// with one, it must evaluate true. "" means success.
func verdict(r *HTTPRequest, method string, resp *http.Response, body []byte) string {
	if r.SuccessCondition == "" {
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Sprintf("received non-2xx response code: %d", resp.StatusCode)
		}
		return ""
	}
	reqHeaders := map[string]any{}
	for _, h := range r.Headers {
		reqHeaders[h.Name] = []any{h.Value}
	}
	respHeaders := map[string]any{}
	for k, vs := range resp.Header {
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		respHeaders[k] = l
	}
	env := map[string]any{
		"request": map[string]any{
			"method": method, "url": r.URL, "body": string(r.Body), "bodyBytes": r.Body, "headers": reqHeaders,
		},
		"response": map[string]any{
			"statusCode": resp.StatusCode, "body": string(body), "headers": respHeaders,
		},
	}
	ok, err := expr.EvalBoolEnv(r.SuccessCondition, env)
	switch {
	case err != nil:
		return err.Error()
	case !ok:
		return fmt.Sprintf("successCondition '%s' evaluated false", r.SuccessCondition)
	}
	return ""
}

// requestError words a failed exchange; a timeout names timeoutSeconds.
func requestError(err error, ctx context.Context, r *HTTPRequest) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("%s: no complete response within %s (timeoutSeconds)", r.URL, r.Timeout)
	}
	return err.Error()
}

// httpClient is a client for one request: no cookie jar, no proxy from
// the environment, no credentials of the engine's, a bounded number of
// redirects, and every connection checked against the policy.
func httpClient(r *HTTPRequest) *http.Client {
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            policyDialer(r.Policy),
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: r.InsecureSkipVerify}, //nolint:gosec // the template asks for it, as Argo's does
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > MaxHTTPRedirects {
				return fmt.Errorf("stopped after %d redirects", MaxHTTPRedirects)
			}
			return nil
		},
	}
}

// policyDialer dials as net.Dialer does, refusing each address the policy
// does not allow, after resolution.
func policyDialer(p HTTPPolicy) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		d := &net.Dialer{Timeout: 30 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("http template: dialling %s: %w", address, err)
			}
			if err := p.allows(host, ap.Addr()); err != nil {
				return fmt.Errorf("http template: %w", err)
			}
			return nil
		}}
		return d.DialContext(ctx, network, addr)
	}
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
)

// Several nodes on one database: a request about a workflow another node
// runs, or whose logs are on another node's disk, is sent on to that node
// as it came (method, path, query, body, Authorization: all nodes take
// the same tokens), so a client may talk to any node.

// ForwardedBy marks a request one node sent on to another, with the
// sender's node name. A node never sends on a request that carries it:
// two nodes that each think the other runs a workflow answer 503 rather
// than pass the request between them.
const ForwardedBy = "X-Semaflow-Forwarded-By"

// forwardTimeout bounds a forwarded request that is not a log stream:
// the longest is a delete, which waits for the workflow's steps to be
// killed.
const forwardTimeout = time.Minute

// Retry-After bounds, in seconds, for a workflow whose node is gone or
// did not answer: another node adopts it at its lease's end and margin.
const (
	minRetryAfter = 1
	maxRetryAfter = 30
)

// newForwardTransport makes the client side of forwarding. It ignores
// HTTP_PROXY: nodes talk to each other directly. A log stream has no
// overall deadline, so the answer's headers are bounded here.
func newForwardTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: forwardTimeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   8,
	}
}

// elsewhere answers a request the engine refused with an
// *engine.ElsewhereError: it sends the request on to the node that runs
// the workflow, or says why it cannot. It reports whether err was one.
func (s *Server) elsewhere(w http.ResponseWriter, r *http.Request, err error, stream bool) bool {
	var ee *engine.ElsewhereError
	if !errors.As(err, &ee) {
		return false
	}
	switch {
	case ee.Live && ee.Addr == "":
		// A semaflow run: it serves no API, and asking again will not help.
		writeError(w, codeAborted, ee.Error())
	case !ee.Live:
		retryAfter(w, ee.Adopt)
		writeError(w, codeUnavailable, ee.Error())
	default:
		s.forward(w, r, ee, stream)
	}
	return true
}

// retryAfter sets Retry-After to the seconds until adopt, within bounds.
func retryAfter(w http.ResponseWriter, adopt time.Time) {
	secs := int(math.Ceil(time.Until(adopt).Seconds())) + 1
	w.Header().Set("Retry-After", strconv.Itoa(min(max(secs, minRetryAfter), maxRetryAfter)))
}

// forward sends r to the node ee names and copies its answer back,
// flushing each write at once (a followed log).
func (s *Server) forward(w http.ResponseWriter, r *http.Request, ee *engine.ElsewhereError, stream bool) {
	me := s.eng.NodeName()
	if by := r.Header.Get(ForwardedBy); by != "" {
		retryAfter(w, time.Now())
		writeError(w, codeUnavailable, fmt.Sprintf("node %s sent this request for workflow %s to node %s, which finds that node %s (%s) runs it: "+
			"the nodes disagree while the workflow changes hands; try again in a few seconds",
			quoteHeader(by), ee.Workflow, me, ee.Node, ee.Addr))
		return
	}
	target, err := url.Parse(ee.Addr)
	if err == nil && target.Scheme != "http" && target.Scheme != "https" {
		err = errors.New("not an http:// or https:// URL")
	}
	if err == nil {
		host, _, _ := net.SplitHostPort(target.Host)
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			err = errors.New("it names no host (the node listens on all interfaces of another host): send the request to that node directly")
		}
	}
	if err != nil {
		writeErrorStatus(w, http.StatusBadGateway, codeUnavailable,
			fmt.Sprintf("%v; node %s records its address as %q, which this node cannot send the request to: %v", ee, ee.Node, ee.Addr, err))
		return
	}
	ctx := r.Context()
	if !stream {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, forwardTimeout)
		defer cancel()
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// SetURL also makes Host the target's own address, which
			// its Host check accepts.
			pr.SetURL(target)
			pr.Out.Header.Set(ForwardedBy, me)
			// This node checked the Origin against itself: the target
			// would find it foreign. Without it the request is one from
			// a client that is not a browser, which is what it now is.
			pr.Out.Header.Del("Origin")
		},
		Transport:     s.transport,
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0),
		ModifyResponse: func(resp *http.Response) error {
			return refusedToken(resp, ee)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.forwardFailed(w, r, ee, err)
		},
	}
	rp.ServeHTTP(w, r.WithContext(ctx))
}

// forwardFailed answers a request the node that runs the workflow did not
// answer.
func (s *Server) forwardFailed(w http.ResponseWriter, r *http.Request, ee *engine.ElsewhereError, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, codeInvalid, fmt.Sprintf("request body over %d bytes", MaxBody))
	case errors.Is(r.Context().Err(), context.DeadlineExceeded):
		writeError(w, codeDeadline, fmt.Sprintf("%v: it did not answer within %s", ee, forwardTimeout))
	default:
		// Down or unreachable: once its lease ends, another node adopts
		// the workflow and the request succeeds here.
		retryAfter(w, ee.Adopt)
		writeError(w, codeUnavailable, fmt.Sprintf("%v, which did not answer (%v): if it is gone, another node adopts the workflow by %s; try again then",
			ee, err, ee.Adopt.Local().Format(time.TimeOnly)))
	}
}

// refusedToken words a 401 from the other node: the client's token was
// good here, so the nodes' token files differ.
func refusedToken(resp *http.Response, ee *engine.ElsewhereError) error {
	if resp.StatusCode != http.StatusUnauthorized {
		return nil
	}
	msg := fmt.Sprintf("%v, which refused this request's token: every node must be started with the same --auth-token-file", ee)
	b, err := json.Marshal(apiError{Code: codeUnauth, Error: msg, Message: msg})
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(append(b, '\n')))
	resp.ContentLength = int64(len(b) + 1)
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)+1))
	resp.Header.Set("Content-Type", "application/json")
	return nil
}

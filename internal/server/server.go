// Package server is semaflow's HTTP API on Argo server's paths and JSON
// shapes (reference/argo-swagger.json), so Argo's HTTP clients work
// against it, plus ConfigMaps (for limits), which Argo leaves to
// Kubernetes.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/server/ui"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// MaxBody caps request bodies.
const MaxBody = 4 << 20

// Version is reported by /api/v1/version.
var Version = "v0.1.0-semaflow"

// Server serves the API for one engine.
type Server struct {
	eng          *engine.Engine
	metrics      http.Handler // Prometheus, at /metrics
	allowedHosts []string
	// transport sends requests on to the node that runs a workflow.
	transport http.RoundTripper
	// closing closes when the server begins to shut down: streams end.
	closing     chan struct{}
	closingOnce sync.Once
	// closed is closing as a context, for context.AfterFunc.
	closed      context.Context
	closeCancel context.CancelFunc
	streams     *streamCaps
	log         *slog.Logger // nil: nothing is logged
	ui          *ui.UI       // the web UI at /; nil if its templates failed to parse
	feed        *lockFeed    // the Locks page's live views and history
}

// New makes a server for eng.
func New(eng *engine.Engine) *Server {
	web, _ := ui.New(Version) // embedded templates: a test checks they parse
	s := &Server{eng: eng, metrics: metricsHandler(eng), transport: newForwardTransport(), closing: make(chan struct{}), ui: web}
	s.feed = newLockFeed(s)
	s.closed, s.closeCancel = context.WithCancel(context.Background())
	s.streams = newStreamCaps()
	return s
}

// AllowHosts adds names (or name:port) clients may reach the server by,
// besides loopback and the address it listens on: any other Host header,
// or Origin, is refused.
func (s *Server) AllowHosts(names ...string) { s.allowedHosts = append(s.allowedHosts, names...) }

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics)
	mux.HandleFunc("GET /api/v1/version", s.version)
	mux.HandleFunc("GET /api/v1/info", s.info)
	mux.HandleFunc("POST /api/v1/workflows/{namespace}", s.createWorkflowOrBackfill)
	mux.HandleFunc("POST /api/v1/workflows/{namespace}/lint", s.lintWorkflow)
	mux.HandleFunc("POST /api/v1/workflows/{namespace}/submit", s.submitFrom)
	mux.HandleFunc("GET /api/v1/workflows/{namespace}", s.listWorkflows)
	mux.HandleFunc("GET /api/v1/workflows/{namespace}/{name}", s.getWorkflow)
	mux.HandleFunc("DELETE /api/v1/workflows/{namespace}/{name}", s.deleteWorkflow)
	mux.HandleFunc("PUT /api/v1/workflows/{namespace}/{name}/stop", s.act(s.stop(false)))
	mux.HandleFunc("PUT /api/v1/workflows/{namespace}/{name}/terminate", s.act(s.stop(true)))
	mux.HandleFunc("PUT /api/v1/workflows/{namespace}/{name}/suspend", s.act(s.eng.SuspendWorkflow))
	mux.HandleFunc("PUT /api/v1/workflows/{namespace}/{name}/resume", s.act(s.inReach(s.eng.ResumeWorkflow)))
	mux.HandleFunc("PUT /api/v1/workflows/{namespace}/{name}/retry", s.retryWorkflow)
	mux.HandleFunc("PUT /api/v1/workflows/{namespace}/{name}/resubmit", s.resubmitWorkflow)
	mux.HandleFunc("PUT /api/v1/workflows/{namespace}/{name}/set", s.setNode)
	mux.HandleFunc("GET /api/v1/workflows/{namespace}/{name}/explain", s.explainWorkflow)
	mux.HandleFunc("GET /api/v1/workflow-events/{namespace}", s.streaming(s.watchWorkflows))
	// An empty namespace means all of them, as in Argo's UI.
	mux.HandleFunc("GET /api/v1/workflow-events/{$}", s.streaming(s.watchWorkflows))
	mux.HandleFunc("GET /api/v1/workflows/{$}", s.listWorkflows)
	mux.HandleFunc("GET /api/v1/workflows/{namespace}/{name}/log", s.streaming(s.workflowLogs))
	mux.HandleFunc("GET /api/v1/workflows/{namespace}/{name}/{podName}/log", s.streaming(s.workflowLogs))
	mux.HandleFunc("POST /api/v1/configmaps/{namespace}", s.applyConfigMap)
	mux.HandleFunc("PUT /api/v1/configmaps/{namespace}/{name}", s.applyConfigMap)
	mux.HandleFunc("GET /api/v1/configmaps/{namespace}/{name}", s.getConfigMap)
	mux.HandleFunc("GET /api/v1/configmaps/{namespace}", s.listObjects(wfv1.KindConfigMap))
	mux.HandleFunc("DELETE /api/v1/configmaps/{namespace}/{name}", s.deleteObject(wfv1.KindConfigMap))
	s.templateRoutes(mux)
	s.cronRoutes(mux)
	s.syncRoutes(mux)
	s.lockRoutes(mux)
	s.archiveRoutes(mux)
	s.artifactRoutes(mux)
	// semaflow's own: the engines sharing the store.
	mux.HandleFunc("GET /api/v1/nodes", s.nodes)
	if s.ui != nil {
		s.ui.SetLogger(s.log)
		s.ui.Register(mux)
	}
	s.unsupportedRoutes(mux)
	return guard(s.allowedHosts, http.MaxBytesHandler(s.resolveLatest(mux), MaxBody))
}

// apiError is Argo's (grpc-gateway's) error body.
type apiError struct {
	Code    int    `json:"code"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// gRPC codes Argo's gateway uses, with their HTTP statuses.
const (
	codeInvalid  = 3
	codeNotFound = 5
	codeExists   = 6
	codeDenied   = 7
	codeState    = 9 // FailedPrecondition
	codeInternal = 13
	codeUnauth   = 16
	// With several nodes: another node runs the workflow.
	codeDeadline    = 4  // it did not answer in time: 504
	codeAborted     = 10 // a semaflow run, which serves no API: 409
	codeUnavailable = 14 // it is gone or did not answer: 503
)

// codeExhausted (ResourceExhausted) goes with 507 when the disk is full.
const codeExhausted = 8

func writeError(w http.ResponseWriter, code int, msg string) {
	status := map[int]int{codeInvalid: http.StatusBadRequest, codeNotFound: http.StatusNotFound,
		codeExists: http.StatusConflict, codeState: http.StatusBadRequest, codeDenied: http.StatusForbidden,
		codeUnauth: http.StatusUnauthorized, codeAborted: http.StatusConflict,
		codeUnavailable: http.StatusServiceUnavailable, codeDeadline: http.StatusGatewayTimeout,
		// 507, not 500: nothing is wrong with the request or the server,
		// and the same request succeeds once space is freed.
		codeExhausted: http.StatusInsufficientStorage}[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	writeErrorStatus(w, status, code, msg)
}

// writeErrorStatus writes Argo's error body with a status of its own
// (413, 415, 405, 502), msg in both "error" and "message" as the gateway
// puts it.
func writeErrorStatus(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, apiError{Code: code, Error: msg, Message: msg})
}

// writeStoreError maps store errors to Argo's codes.
func writeStoreError(w http.ResponseWriter, err error) {
	var reach *reachError
	switch {
	case errors.As(err, &reach):
		writeError(w, codeDenied, reach.msg)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, codeNotFound, err.Error())
	case errors.Is(err, store.ErrExists):
		writeError(w, codeExists, err.Error())
	case errors.Is(err, engine.ErrInvalid), errors.Is(err, store.ErrBadContinue):
		writeError(w, codeInvalid, err.Error())
	case errors.Is(err, engine.ErrState):
		writeError(w, codeState, err.Error())
	case store.NoSpace(err):
		writeError(w, codeExhausted, err.Error())
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrBusy):
		// The request was fine: the database is restarting, or another
		// process holds a lock for a while. The same request succeeds
		// once it is back.
		w.Header().Set("Retry-After", "2")
		writeError(w, codeUnavailable, err.Error())
	default:
		writeError(w, codeInternal, err.Error())
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readBody reads a request body, answering 400 or 413 itself on failure.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeErrorStatus(w, http.StatusRequestEntityTooLarge, codeInvalid, fmt.Sprintf("request body over %d bytes", MaxBody))
			return nil, false
		}
		writeError(w, codeInvalid, err.Error())
		return nil, false
	}
	if err := checkBody(b); err != nil {
		writeError(w, codeInvalid, err.Error())
		return nil, false
	}
	if isYAMLBody(r) {
		// The guard lets YAML writes in (as Argo's server takes them):
		// every reader below reads JSON.
		j, err := spec.YAMLToJSON(b, MaxBody)
		if err == nil {
			err = checkBody(j)
		}
		if err != nil {
			writeError(w, codeInvalid, err.Error())
			return nil, false
		}
		b = j
	}
	return b, true
}

// isYAMLBody says the request says its body is YAML.
func isYAMLBody(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return writeTypes[mt] && strings.Contains(mt, "yaml")
}

// readJSON reads the request body into v, answering 400 or 413 itself
// on failure; what names the body in the message. With emptyOK an empty
// body leaves v as it is (the CLI sends none when no flag is set).
func readJSON(w http.ResponseWriter, r *http.Request, what string, v any, emptyOK bool) bool {
	body, ok := readBody(w, r)
	if !ok {
		return false
	}
	if emptyOK && len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, codeInvalid, what+": "+err.Error())
		return false
	}
	return true
}

func (s *Server) version(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": Version, "platform": "linux"})
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"managedNamespace": "", "modals": map[string]bool{}})
}

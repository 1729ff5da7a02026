package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// ErrElsewhere means a request concerns a workflow that another node
// runs: ElsewhereError says which, and where it listens.
var ErrElsewhere = errors.New("the workflow runs on another node")

// ElsewhereError names the node that runs a workflow, and Addr where it
// listens, as this node reaches it. Addr is empty when that node's lease
// ended: another node adopts the workflow within the lease margin, and
// the request can be sent again then.
type ElsewhereError struct {
	Workflow string // namespace/name
	Node     string
	Addr     string
	Ended    time.Time // when the node's lease ended, if it did
	// Live says the node's lease holds: with no Addr, it is a semaflow
	// run, which serves no API.
	Live bool
	// Adopt is the earliest time another node may adopt the workflow,
	// should its node be gone: its lease's end and this node's margin.
	Adopt time.Time
}

func (e *ElsewhereError) Error() string {
	if e.Live && e.Addr == "" {
		return fmt.Sprintf("workflow %s runs on node %s, a semaflow run that serves no API: act on it there (Ctrl-C stops it)", e.Workflow, e.Node)
	}
	if e.Addr == "" {
		return fmt.Sprintf("workflow %s runs on node %s, whose lease ended at %s: another node adopts it shortly; try again in a few seconds",
			e.Workflow, e.Node, e.Ended.Local().Format(time.TimeOnly))
	}
	return fmt.Sprintf("workflow %s runs on node %s (%s)", e.Workflow, e.Node, e.Addr)
}

func (e *ElsewhereError) Unwrap() error { return ErrElsewhere }

// Elsewhere says whether wf is an unfinished workflow that another node
// runs: then it returns an *ElsewhereError naming that node. A workflow
// this node runs, or one that has finished, gives nil.
func (e *Engine) Elsewhere(ctx context.Context, wf *wfv1.Workflow) error {
	if wf.Status.Phase == wfv1.PhaseSucceeded || wf.Status.Phase == wfv1.PhaseFailed || wf.Status.Phase == wfv1.PhaseError {
		return nil
	}
	return e.nodeOf(ctx, wf)
}

// LogsElsewhere is Elsewhere for a workflow's logs, which stay on the
// disk of the node that ran its steps after it finished too: it names
// that node when it is another.
func (e *Engine) LogsElsewhere(ctx context.Context, wf *wfv1.Workflow) error {
	return e.nodeOf(ctx, wf)
}

// nodeOf returns an *ElsewhereError naming the node of LabelNode when
// that is not this one, on a shared store.
func (e *Engine) nodeOf(ctx context.Context, wf *wfv1.Workflow) error {
	if !e.isShared() {
		return nil
	}
	e.mu.Lock()
	local := e.runs[wf.Metadata.UID] != nil
	e.mu.Unlock()
	node := wf.Metadata.Labels[LabelNode]
	if local || node == "" || node == e.sess.me.Node {
		return nil
	}
	var sessions []store.Session
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		sessions, err = tx.ListSessions(ctx)
		return err
	})
	if err != nil {
		return err
	}
	out := &ElsewhereError{Workflow: wf.Metadata.Namespace + "/" + wf.Metadata.Name, Node: node}
	now := time.Now()
	for _, s := range sessions {
		if s.Node != node || s.Kind == "sync" {
			continue
		}
		if s.Expires.After(now) {
			out.Addr, out.Ended, out.Live = reachable(s.Addr, s.Host == e.sess.me.Host), time.Time{}, true
			out.Adopt = s.Expires.Add(e.sess.margin)
			return out
		}
		if s.Expires.After(out.Ended) {
			out.Ended = s.Expires
		}
	}
	if out.Ended.IsZero() {
		// No session of that node: it was adopted and this read is older
		// than the adoption. The caller may try again.
		out.Ended = now
	}
	out.Adopt = out.Ended.Add(e.sess.margin)
	return out
}

// NodeName is this engine's node name ("" when it holds no session).
func (e *Engine) NodeName() string {
	if e.sess == nil {
		return ""
	}
	return e.sess.me.Node
}

// reachable is addr as this node reaches it. A node listening on all
// interfaces (0.0.0.0, [::]) records that address, which names no host:
// on its own host, loopback reaches it; from another host nothing does,
// and addr is left as it is for the caller to refuse.
func reachable(addr string, sameHost bool) string {
	u, err := url.Parse(addr)
	if err != nil || !sameHost {
		return addr
	}
	host, port, err := net.SplitHostPort(u.Host)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsUnspecified() {
		return addr
	}
	// 127.0.0.1 for [::] too: Go listens on both families there.
	u.Host = net.JoinHostPort("127.0.0.1", port)
	return u.String()
}

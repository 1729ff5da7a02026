package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
)

// Explanation answers `semaflow explain`: for a workflow, or one of its
// nodes, what it waits for and why (lockq.Explain per waiting holder),
// what it holds, which throttle of its own keeps it back, and, for a lock
// wait that failed, what it waited for. Lines says it all in sentences.
type Explanation struct {
	Workflow  string      `json:"workflow"` // <ns>/<name>
	Node      string      `json:"node,omitempty"`
	Phase     string      `json:"phase"`
	Waiting   []lockq.Why `json:"waiting"`
	Holding   []Held      `json:"holding"`
	Throttles []Throttle  `json:"throttles"`
	WaitedFor []WaitedFor `json:"waitedFor"`
	// ETAs are each waiting holder's estimated start per lock (h-eta's
	// estimate, "unknown" until a lock has history).
	ETAs []LockETA `json:"etas"`
	// Releases are when the holders of the locks it waits for are
	// expected to let go (eta.Release: the lock's hold times and how long
	// each has held), once per holder and lock.
	Releases []HolderRelease `json:"releases"`
	Lines    []string        `json:"lines"`
	names    nodeNamer       // node ids to names, for the sentences
}

// LockETA is when a waiting holder is expected to get one lock.
type LockETA struct {
	Holder string      `json:"holder"`
	Lock   string      `json:"lock"`
	Start  locks.Start `json:"start"`
}

// HolderRelease is when a holder is expected to release one lock; its
// Text says it as the sentences do.
type HolderRelease struct {
	Holder  string      `json:"holder"`
	Lock    string      `json:"lock"`
	Release locks.Start `json:"release"`
}

// Held is one lock a holder of the workflow holds.
type Held struct {
	Holder string    `json:"holder"`
	Lock   string    `json:"lock"`
	Token  uint64    `json:"token"`
	Since  time.Time `json:"since,omitzero"` // zero: granted by another engine or before a restart
	// Release is when it is expected to end, as HolderRelease's.
	Release *locks.Start `json:"release,omitempty"`
}

// Throttle is a limit of the workflow's own that keeps nodes from
// starting (engine-wide throttles are locks and show under Waiting): its
// spec.parallelism, or a steps or DAG template's parallelism, which
// Template and Node (the template's node) name.
type Throttle struct {
	Kind     string   `json:"kind"` // "workflow-parallelism" or "template-parallelism"
	Limit    int64    `json:"limit"`
	Running  []string `json:"running"` // node ids
	Template string   `json:"template,omitempty"`
	Node     string   `json:"node,omitempty"`
}

// WaitedFor is a lock wait that failed: a pendingTimeout, a workflow-level
// lock timeout, a deadlock victim. Its locks come from the failure message,
// which names them: the wait itself left the queues.
type WaitedFor struct {
	Holder  string   `json:"holder"`
	Locks   []string `json:"locks"`
	Message string   `json:"message"`
}

type nodeNamer map[string]string

// ExplainOptions narrow an explanation.
type ExplainOptions struct {
	// Node, when set, is the node to explain: its id, name or display name.
	Node string
	// Namespaces, when set, are the only namespaces whose workflows may be
	// named (a scoped token's): holders and waiters of others on a shared
	// lock show as otherNamespace.
	Namespaces []string
}

// otherNamespace stands for a holder a scoped reader may not see.
const otherNamespace = "(a workflow of another namespace)"

// Explain explains workflow namespace/name, or one of its nodes.
func (e *Engine) Explain(ctx context.Context, namespace, name string, opts ExplainOptions) (*Explanation, error) {
	var wf *wfv1.Workflow
	var st *store.LockState
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		if wf, err = tx.GetWorkflow(ctx, namespace, name); err != nil {
			return err
		}
		st, err = tx.LoadLocks(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ExplainFrom(wf, st, e.locks.Policy(), e.locks.HeldSince(), opts, e.now())
}

// ExplainFrom is Explain over a workflow and stored lock state already
// read (semaflow explain --db reads them itself). heldSince may be nil.
func ExplainFrom(wf *wfv1.Workflow, st *store.LockState, cfg lockq.Config, heldSince map[string]time.Time, opts ExplainOptions, now time.Time) (*Explanation, error) {
	node := opts.Node
	ns, name := wf.Metadata.Namespace, wf.Metadata.Name
	x := &Explanation{Workflow: ns + "/" + name, Phase: wf.Status.Phase, Waiting: []lockq.Why{}, Holding: []Held{},
		Throttles: []Throttle{}, WaitedFor: []WaitedFor{}, names: nodeNamer{}}
	if x.Phase == "" {
		x.Phase = wfv1.PhasePending
	}
	for id, n := range wf.Status.Nodes {
		x.names[id] = n.Name
	}
	var target *wfv1.NodeStatus
	if node != "" {
		target = findNode(wf, node)
		if target == nil {
			return nil, fmt.Errorf("workflow %s/%s has no node %.80q (give its id, name or display name): %w", ns, name, node, store.ErrNotFound)
		}
		x.Node, x.Phase = target.ID, target.Phase
	}
	// The workflow's own holder concerns every node: a node cannot start
	// while its workflow waits.
	mine := func(holder string) bool {
		k, err := domain.ParseHolderKey(holder)
		return err == nil && k.Of(ns, name) && (target == nil || k.NodeID == "" || k.NodeID == target.ID)
	}
	// The store keeps when each hold began; this engine's memory fills in
	// holds stored before it did.
	since := map[string]time.Time{}
	for h, info := range st.HoldInfo {
		if !info.Since.IsZero() {
			since[h] = info.Since
		}
	}
	for h, t := range heldSince {
		if _, ok := since[h]; !ok {
			since[h] = t
		}
	}
	heldSince = since
	starts := map[string]map[string]locks.Start{}
	releases := map[string]map[string]locks.Start{} // lock, holder
	for _, v := range locks.Views(st, "", now) {
		starts[v.Lock] = v.Starts
		releases[v.Lock] = map[string]locks.Start{}
		for _, h := range v.Holding {
			if h.Release != nil {
				releases[v.Lock][h.Holder] = releaseSaid(*h.Release, now)
			}
		}
	}
	x.ETAs, x.Releases = []LockETA{}, []HolderRelease{}
	hide := hider(opts.Namespaces)
	told := map[[2]string]bool{}
	qs := locks.QueueState(st)
	for _, w := range qs.Waiters {
		if !mine(w.Holder) {
			continue
		}
		why, err := lockq.Explain(cfg, qs, w.Holder, now, heldSince)
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", w.Holder, err)
		}
		for i := range why.Locks {
			lw := &why.Locks[i]
			for j := range lw.Holders {
				h := &lw.Holders[j]
				r, ok := releases[lw.Lock][h.Holder]
				if !ok {
					continue
				}
				h.Release = r.Text
				if k := [2]string{h.Holder, lw.Lock}; !told[k] {
					told[k] = true
					x.Releases = append(x.Releases, HolderRelease{Holder: hide(h.Holder), Lock: lw.Lock, Release: r})
				}
			}
		}
		if len(opts.Namespaces) > 0 {
			redact(&why, hide)
		}
		x.Waiting = append(x.Waiting, why)
		for _, lw := range why.Locks {
			if st, ok := starts[lw.Lock][w.Holder]; ok {
				x.ETAs = append(x.ETAs, LockETA{Holder: w.Holder, Lock: lw.Lock, Start: st})
			}
		}
	}
	for _, h := range qs.Holders {
		if !mine(h.Holder) {
			continue
		}
		for _, t := range h.Tokens {
			held := Held{Holder: h.Holder, Lock: t.Lock, Token: t.Value, Since: heldSince[h.Holder]}
			if r, ok := releases[t.Lock][h.Holder]; ok {
				held.Release = &r
			}
			x.Holding = append(x.Holding, held)
		}
	}
	if th, ok := parallelismThrottle(wf, target, len(x.Waiting) > 0); ok {
		x.Throttles = append(x.Throttles, th)
	}
	x.Throttles = append(x.Throttles, templateThrottles(wf, target)...)
	x.WaitedFor = waitedFor(wf, target)
	x.Lines = x.lines(now)
	return x, nil
}

func findNode(wf *wfv1.Workflow, node string) *wfv1.NodeStatus {
	if n, ok := wf.Status.Nodes[node]; ok {
		return &n
	}
	ids := make([]string, 0, len(wf.Status.Nodes))
	for id := range wf.Status.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids) // the same node every time if display names repeat
	for _, id := range ids {
		if n := wf.Status.Nodes[id]; n.Name == node || n.DisplayName == node {
			return &n
		}
	}
	return nil
}

// parallelismThrottle reports spec.parallelism holding back pending steps:
// as many of the workflow's steps run as it allows, and the target (or,
// for the whole workflow, some step) is pending and waits for no lock.
func parallelismThrottle(wf *wfv1.Workflow, target *wfv1.NodeStatus, waitsForLock bool) (Throttle, bool) {
	p := wf.Spec.Parallelism
	if p == nil || *p <= 0 || waitsForLock {
		return Throttle{}, false
	}
	var running []string
	pending := false
	for id, n := range wf.Status.Nodes {
		if n.Type != "Pod" && n.Type != "HTTP" {
			continue
		}
		switch n.Phase {
		case wfv1.PhaseRunning:
			running = append(running, id)
		case wfv1.PhasePending, "":
			pending = pending || target == nil || target.ID == id
		}
	}
	if !pending || int64(len(running)) < *p {
		return Throttle{}, false
	}
	sort.Strings(running)
	return Throttle{Kind: "workflow-parallelism", Limit: *p, Running: running}, true
}

// waitedFor finds failed lock waits in the workflow's (or the target's)
// messages: a message about a lock names its keys.
func waitedFor(wf *wfv1.Workflow, target *wfv1.NodeStatus) []WaitedFor {
	out := []WaitedFor{}
	add := func(holder, phase, msg string) {
		if phase != wfv1.PhaseFailed && phase != wfv1.PhaseError {
			return
		}
		if locks := lockKeysIn(msg); len(locks) > 0 {
			out = append(out, WaitedFor{Holder: holder, Locks: locks, Message: msg})
		}
	}
	holder := wf.Metadata.Namespace + "/" + wf.Metadata.Name
	if target != nil {
		add(holder+"/"+target.ID, target.Phase, target.Message)
		return out
	}
	add(holder, wf.Status.Phase, wf.Status.Message)
	ids := make([]string, 0, len(wf.Status.Nodes))
	for id := range wf.Status.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n := wf.Status.Nodes[id]
		add(holder+"/"+id, n.Phase, n.Message)
	}
	return out
}

// lockKeysIn returns the lock keys a message names, in order, once each.
func lockKeysIn(msg string) []string {
	if !strings.Contains(strings.ToLower(msg), "lock") {
		return nil
	}
	var out []string
	for _, f := range strings.FieldsFunc(msg, func(r rune) bool {
		return r == ' ' || r == ',' || r == '(' || r == ')' || r == '"' || r == ';' || r == '\''
	}) {
		f = strings.TrimRight(f, ".:")
		if _, err := domain.ParseLockKey(f); err == nil && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func (x *Explanation) lines(now time.Time) []string {
	subject := "Workflow " + x.Workflow
	if x.Node != "" {
		subject = "Node " + x.nodeName(x.Node) + " of workflow " + x.Workflow
	}
	out := []string{fmt.Sprintf("%s is %s.", subject, x.Phase)}
	for _, w := range x.Waiting {
		out = append(out, w.Lines(now)...)
		for _, e := range x.ETAs {
			if e.Holder == w.Holder {
				out = append(out, fmt.Sprintf("ETA on %s: %s.", e.Lock, e.Start.Text))
			}
		}
	}
	for _, t := range x.Throttles {
		if t.Kind == "template-parallelism" {
			out = append(out, fmt.Sprintf("The parallelism (%d) of template %s (node %s) holds back its children: %d of them %s (%s).",
				t.Limit, t.Template, t.Node, len(t.Running), plural(len(t.Running), "runs", "run"), x.nodeNames(t.Running)))
			continue
		}
		out = append(out, fmt.Sprintf("The workflow's parallelism (%d) holds it back: %d of its steps run (%s).",
			t.Limit, len(t.Running), x.nodeNames(t.Running)))
	}
	for _, h := range x.Holding {
		s := fmt.Sprintf("%s holds %s, token %d", x.holderName(h.Holder), lockq.LockName(h.Lock), h.Token)
		if !h.Since.IsZero() {
			s += ", since " + h.Since.Format(time.TimeOnly) + " (" + max(0, now.Sub(h.Since)).Round(time.Second).String() + " ago)"
		}
		if h.Release != nil {
			s += ", " + h.Release.Text
		}
		out = append(out, s+".")
	}
	for _, f := range x.WaitedFor {
		out = append(out, fmt.Sprintf("%s waited for %s and failed: %s", x.holderName(f.Holder), strings.Join(f.Locks, " and "), f.Message))
	}
	if len(x.Waiting) == 0 && len(x.Throttles) == 0 && len(x.WaitedFor) == 0 {
		if len(x.Holding) == 0 {
			out = append(out, "It waits for no lock and holds none.")
		} else {
			out = append(out, "It waits for no lock.")
		}
	}
	return out
}

func (x *Explanation) nodeName(id string) string {
	if n := x.names[id]; n != "" && n != id {
		return id + " (" + n + ")"
	}
	return id
}

func (x *Explanation) nodeNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = x.nodeName(id)
	}
	return strings.Join(names, ", ")
}

// holderName is a holder key, with a node's name when it is a node.
func (x *Explanation) holderName(holder string) string {
	k, err := domain.ParseHolderKey(holder)
	if err != nil || k.NodeID == "" {
		return "Workflow " + holder
	}
	return "Node " + x.nodeName(k.NodeID) + " of " + k.Namespace + "/" + k.Workflow
}

// releaseSaid is a view's expected release with explain's words.
func releaseSaid(s locks.Start, now time.Time) locks.Start {
	s.Text = eta.ReleaseText(s.Eta(), now)
	return s
}

// hider returns a holder's name as a reader limited to namespaces (none:
// no limit) may see it: otherNamespace outside them.
func hider(namespaces []string) func(string) string {
	return func(holder string) string {
		if len(namespaces) == 0 {
			return holder
		}
		k, err := domain.ParseHolderKey(holder)
		if err == nil && slices.Contains(namespaces, k.Namespace) {
			return holder
		}
		return otherNamespace
	}
}

// redact hides the names of holders and waiters outside the reader's
// namespaces (hide, from hider).
func redact(why *lockq.Why, hide func(string) string) {
	for i := range why.Locks {
		lw := &why.Locks[i]
		for j := range lw.Holders {
			if h := &lw.Holders[j]; hide(h.Holder) != h.Holder {
				h.Holder, h.Workflow, h.Node = otherNamespace, otherNamespace, ""
			}
		}
		for j := range lw.Ahead {
			lw.Ahead[j].Holder = hide(lw.Ahead[j].Holder)
		}
		for j := range lw.Reasons {
			r := &lw.Reasons[j]
			if r.By != "" {
				r.By = hide(r.By)
			}
			for t := range r.TakenBy {
				r.TakenBy[t] = hide(r.TakenBy[t])
			}
		}
	}
}

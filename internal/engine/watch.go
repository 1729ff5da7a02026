package engine

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Watch event types, as Kubernetes names them.
const (
	Added    = "ADDED"
	Modified = "MODIFIED"
	Deleted  = "DELETED"
)

// WatchEvent is one change to a workflow, as a watcher sees it. Object is
// the whole workflow, nodes included, marshalled once for every watcher.
type WatchEvent struct {
	Type     string
	Metadata wfv1.ObjectMeta
	Phase    string
	Object   json.RawMessage
}

// watchBuffer is how many events a watcher may fall behind before it is
// cut off; the client reconnects and starts from the current state, which
// is better than the server buffering without bound.
const watchBuffer = 512

// Watcher receives the changes of one namespace ("" for all).
type Watcher struct {
	C <-chan WatchEvent
	// Overflowed is set when the watcher was cut off for falling behind.
	Overflowed atomic.Bool

	c         chan WatchEvent
	namespace string
	once      sync.Once
}

// hub fans workflow changes out to watchers. The run loops only marshal a
// workflow when someone watches, so an unwatched engine pays nothing.
type hub struct {
	mu       sync.Mutex
	watchers map[*Watcher]struct{}
	count    atomic.Int32
	locks    lockSignal
}

func (h *hub) active() bool { return h.count.Load() > 0 }

// Watch starts delivering the changes of namespace ("" for all). Call
// Unwatch when done.
func (e *Engine) Watch(namespace string) *Watcher {
	w := &Watcher{c: make(chan WatchEvent, watchBuffer), namespace: namespace}
	w.C = w.c
	e.hub.mu.Lock()
	if e.hub.watchers == nil {
		e.hub.watchers = map[*Watcher]struct{}{}
	}
	e.hub.watchers[w] = struct{}{}
	e.hub.count.Store(int32(len(e.hub.watchers)))
	e.hub.mu.Unlock()
	return w
}

// Unwatch stops a watcher and closes its channel.
func (e *Engine) Unwatch(w *Watcher) {
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	e.hub.drop(w)
}

// drop is called with mu held.
func (h *hub) drop(w *Watcher) {
	if _, ok := h.watchers[w]; !ok {
		return
	}
	delete(h.watchers, w)
	h.count.Store(int32(len(h.watchers)))
	w.once.Do(func() { close(w.c) })
}

// publish sends wf to the watchers of its namespace. It never blocks: a
// watcher whose buffer is full is cut off.
func (h *hub) publish(typ string, wf *wfv1.Workflow) {
	h.locks.signal()
	if !h.active() {
		return
	}
	raw, err := json.Marshal(wf)
	if err != nil {
		return
	}
	ev := WatchEvent{Type: typ, Metadata: wf.Metadata, Phase: wf.Status.Phase, Object: raw}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		if w.namespace != "" && w.namespace != wf.Metadata.Namespace {
			continue
		}
		select {
		case w.c <- ev:
		default:
			w.Overflowed.Store(true)
			h.drop(w)
		}
	}
}

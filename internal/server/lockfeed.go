package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/semaflow/semaflow/internal/locks"
)

// The lock feed keeps the latest lock views for the Locks page's live
// stream and the history behind its chart. One goroutine per server
// reads the store when the engine signals a change (and every
// lockPollEvery besides, for changes other engines make on a shared
// store), so any number of watchers cost one read per change.
var (
	lockPollEvery = 2 * time.Second
	// lockSettle lets a burst of signals (a release, the grant it causes,
	// the granted workflow's own commit) end in one read.
	lockSettle = 20 * time.Millisecond
)

type lockFeed struct {
	s *Server

	mu sync.Mutex
	// running: the goroutine runs; pinned: it runs until the server
	// closes (StartLockFeed), else only while someone subscribes.
	running, pinned bool
	// poke wakes the goroutine when the last subscriber leaves.
	poke    chan struct{}
	views   []locks.View // latest, all namespaces
	at      time.Time    // when views were read
	version uint64       // raised when views change
	shape   string       // what decides a change (not waiting times)
	subs    map[chan struct{}]struct{}
	hist    lockHistory
	// gen is raised at every read; enc holds, for gen, each namespace's
	// stream message, encoded once and shared by every watcher.
	gen    uint64
	enc    map[string]*encodedEvent
	encGen uint64
}

// encodedEvent is one namespace's message for one read of the views.
type encodedEvent struct {
	once  sync.Once
	views []locks.View
	at    time.Time
	body  []byte
	err   error
}

func newLockFeed(s *Server) *lockFeed {
	return &lockFeed{s: s, subs: map[chan struct{}]struct{}{}, poke: make(chan struct{}, 1), hist: lockHistory{byLock: map[string]*lockRing{}}}
}

// StartLockFeed starts following lock changes, so the Locks page's chart
// covers the time since the server started; it stops at CloseStreams.
// Without it the lock stream follows them only while someone watches.
func (s *Server) StartLockFeed() {
	f := s.feed
	f.mu.Lock()
	f.pinned = true
	f.ensure()
	f.mu.Unlock()
}

// ensure starts the goroutine unless it runs; called with mu held.
func (f *lockFeed) ensure() {
	if f.running {
		return
	}
	select {
	case <-f.s.closing:
		return
	default:
	}
	f.running = true
	changes, stop := f.s.eng.LockChanges()
	go f.run(changes, stop)
}

// idle ends the goroutine when nobody needs it: it says so under mu, so
// a subscriber arriving meanwhile starts another.
func (f *lockFeed) idle() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pinned || len(f.subs) > 0 {
		return false
	}
	f.running = false
	return true
}

func (f *lockFeed) run(changes <-chan struct{}, stop func()) {
	defer stop()
	defer func() {
		f.mu.Lock()
		f.running = false
		f.mu.Unlock()
	}()
	f.refresh()
	tick := time.NewTicker(lockPollEvery)
	defer tick.Stop()
	settle := time.NewTimer(lockSettle)
	defer settle.Stop()
	for {
		select {
		case <-f.s.closing:
			return
		case <-f.poke:
			if f.idle() {
				return
			}
			continue
		case <-tick.C:
			if f.idle() {
				return
			}
		case <-changes:
			settle.Reset(lockSettle)
			select {
			case <-f.s.closing:
				return
			case <-settle.C:
			}
		}
		f.refresh()
	}
}

// refresh reads the views; when they changed it records a history point
// and wakes the subscribers. A failed read keeps the last views.
func (f *lockFeed) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	views, err := f.s.eng.LockViews(ctx, "")
	if err != nil {
		if f.s.log != nil {
			f.s.log.Warn("reading the locks for the Locks page", slog.Any("err", err))
		}
		return
	}
	now := time.Now()
	shape := shapeOf(views)
	f.mu.Lock()
	changed := shape != f.shape || f.at.IsZero()
	f.views, f.at = views, now
	f.gen++
	if changed {
		f.shape = shape
		f.version++
		f.hist.record(now, views)
	}
	var wake []chan struct{}
	if changed {
		for c := range f.subs {
			wake = append(wake, c)
		}
	}
	f.mu.Unlock()
	for _, c := range wake {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// shapeOf is what a watcher must see change: limits, holders and
// waiters with their order and reasons, the recorded hold count, and the
// estimates to the nearest estimateStep; not the waiting times, which the
// page counts itself (and counts estimates down by).
func shapeOf(views []locks.View) string {
	type waiter struct {
		H, R string
		P    int32
		S    int64
	}
	type lock struct {
		K    string
		L    int
		F    uint64
		H    map[string]uint64
		N    map[string]string
		E    map[string]int64
		W    []waiter
		Hold []string
		S    uint64
	}
	out := make([]lock, len(views))
	for i, v := range views {
		l := lock{K: v.Lock, L: v.Limit, F: v.Fence, H: v.Holders, N: map[string]string{}, E: map[string]int64{}}
		for _, h := range v.Holding {
			l.N[h.Holder] = h.NodeName
			l.E[h.Holder] = estimateShape(h.Release)
		}
		for _, w := range v.Queue {
			l.W = append(l.W, waiter{H: w.Holder + "\x00" + w.NodeName, R: w.ReservedBy, P: w.Priority, S: estimateShape(w.Start)})
		}
		if v.HoldTimes != nil {
			l.S = v.HoldTimes.Samples
		}
		out[i] = l
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// estimateStep is how far an estimate moves before watchers hear of it:
// estimates move as a hold outlasts its history, every read.
const estimateStep = 10 * time.Second

// estimateShape is an estimate's median in estimateSteps, -1 unknown;
// behind or of an overdue hold, -2 less how long it has held in
// estimateSteps, so the "held 45s" watchers see moves too.
func estimateShape(s *locks.Start) int64 {
	if s != nil && s.Overdue != nil {
		return -2 - int64(s.Overdue.HeldSeconds/estimateStep.Seconds())
	}
	if s == nil || !s.Known || s.P50 == nil {
		return -1
	}
	return s.P50.UnixNano() / int64(estimateStep)
}

// subscribe returns a channel signalled when the views change (and once
// they were first read), and the function that ends the subscription.
func (f *lockFeed) subscribe() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	f.mu.Lock()
	f.subs[c] = struct{}{}
	if !f.at.IsZero() {
		c <- struct{}{}
	}
	f.ensure()
	f.mu.Unlock()
	return c, func() {
		f.mu.Lock()
		delete(f.subs, c)
		last := len(f.subs) == 0
		f.mu.Unlock()
		if last {
			select {
			case f.poke <- struct{}{}:
			default:
			}
		}
	}
}

// event is the lock stream's message, {"result": {"items", "time"}},
// for the latest views of namespace ns ("" all), and the read it comes
// from. It is encoded once per read and namespace, however many watch:
// the bytes are shared, read only.
func (f *lockFeed) event(ns string) ([]byte, uint64, error) {
	f.mu.Lock()
	if f.enc == nil || f.encGen != f.gen {
		f.enc, f.encGen = map[string]*encodedEvent{}, f.gen
	}
	e := f.enc[ns]
	if e == nil {
		e = &encodedEvent{views: f.views, at: f.at}
		f.enc[ns] = e
	}
	gen := f.gen
	f.mu.Unlock()
	e.once.Do(func() {
		items := e.views
		if ns != "" {
			items = locksOf(items, ns)
		}
		if items == nil {
			items = []locks.View{}
		}
		e.body, e.err = json.Marshal(struct {
			Result lockEvent `json:"result"`
		}{lockEvent{Items: items, Time: e.at}})
		e.views = nil
	})
	return e.body, gen, e.err
}

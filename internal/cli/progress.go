package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/locks"
)

// progress shows running workflows: a redrawn tree on a terminal, plain
// lines (one per step transition) otherwise.
type progress struct {
	w    io.Writer
	live bool

	mu    sync.Mutex
	wfs   map[string]*wfv1.Workflow
	nodes map[string]map[string]wfv1.NodeStatus
	order []string
	dirty bool
	stop  chan struct{}
	done  chan struct{}
	rank  map[string]int // submission order, from 1
	// locks reads the lock queues for the live table; nil until set.
	locks func(context.Context) ([]locks.View, error)
	// estimate, once set, adds start estimates to the live view.
	estimate startEstimator
}

func newProgress(w io.Writer, live bool) *progress {
	p := &progress{w: w, live: live, wfs: map[string]*wfv1.Workflow{}, nodes: map[string]map[string]wfv1.NodeStatus{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if live {
		go p.redraw()
	} else {
		close(p.done)
	}
	return p
}

// observe records an engine update; it is called from workflow goroutines.
func (p *progress) observe(u engine.Update) {
	p.mu.Lock()
	defer p.mu.Unlock()
	uid := u.Workflow.Metadata.UID
	prev := p.wfs[uid]
	if prev == nil {
		p.order = append(p.order, uid)

		p.nodes[uid] = map[string]wfv1.NodeStatus{}
	}
	p.wfs[uid] = u.Workflow
	nodes := p.nodes[uid]
	for _, n := range u.Changed {
		old, had := nodes[n.ID]
		nodes[n.ID] = n
		waits := n.Phase == wfv1.PhasePending && strings.HasPrefix(n.Message, "Waiting for ") && (!had || old.Message != n.Message)
		if !p.live && (waits || (n.Type == "Pod" || n.Type == "HTTP" || n.Type == "Suspend") && (!had || old.Phase != n.Phase) && n.Phase != wfv1.PhasePending) {
			p.line(u.Workflow.Metadata.Name, n)
		}
	}
	if !p.live && (prev == nil || prev.Status.Phase != u.Workflow.Status.Phase) {
		msg := ""
		if u.Workflow.Status.Message != "" {
			msg = "  " + u.Workflow.Status.Message
		}
		fmt.Fprintf(p.w, "%s  %-40s %s%s\n", time.Now().Format("15:04:05"), u.Workflow.Metadata.Name, u.Workflow.Status.Phase, msg)
	}
	p.dirty = true
}

func (p *progress) line(wf string, n wfv1.NodeStatus) {
	msg := ""
	if n.Message != "" {
		msg = "  " + oneLine(n.Message)
	}
	dur := ""
	if n.FinishedAt != nil {
		dur = " (" + duration(n.StartedAt, n.FinishedAt, time.Now()) + ")"
	}
	fmt.Fprintf(p.w, "%s  %s  %-40s %s%s%s\n", time.Now().Format("15:04:05"), wf, n.DisplayName, n.Phase, dur, msg)
}

// setOrder shows the workflows in submission order (uids), whatever order
// their first updates came in; others follow.
func (p *progress) setOrder(uids []string) {
	rank := make(map[string]int, len(uids))
	for i, uid := range uids {
		rank[uid] = i + 1
	}
	p.mu.Lock()
	p.rank = rank
	p.mu.Unlock()
}

// setLocks gives the live view where to read the lock queues from, once
// the engine has started.
func (p *progress) setLocks(fn func(context.Context) ([]locks.View, error)) {
	p.mu.Lock()
	p.locks = fn
	p.mu.Unlock()
}

func (p *progress) redraw() {
	defer close(p.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			// Elapsed times move on even when nothing else does.
			draw := p.dirty || now.Sub(last) >= time.Second
			p.dirty = false
			fn, est := p.locks, p.estimate
			var waits []waitKey
			if draw && est != nil {
				for _, uid := range p.order {
					if wf := p.wfs[uid]; !ended(wf.Status.Phase) {
						waits = append(waits, waitKeys(wf, p.nodes[uid])...)
					}
				}
			}
			p.mu.Unlock()
			if !draw {
				continue
			}
			last = now
			// Read outside the mutex: observe, called by the workflows,
			// must not wait on the store.
			var views []locks.View
			if fn != nil {
				views, _ = fn(context.Background())
			}
			// Estimated outside the mutex too: the lock manager answers
			// between its commits.
			var starts startEstimator
			if est != nil {
				m := make(map[waitKey]eta.Start, len(waits))
				for _, k := range waits {
					if s, ok := est(k.ns, k.name, k.node); ok {
						m[k] = s
					}
				}
				starts = estimated(m)
			}
			width, height := termSize(p.w)
			var b strings.Builder
			b.WriteString("\x1b[H\x1b[2J")
			p.mu.Lock()
			p.render(&b, views, starts, width, height)
			p.mu.Unlock()
			// Written without the mutex: a stalled terminal must not stall
			// the workflows that report to observe.
			fmt.Fprint(p.w, b.String())
		}
	}
}

// render draws every workflow's tree when they fit the terminal, else the
// compact table, one line per workflow.
func (p *progress) render(w io.Writer, views []locks.View, est startEstimator, width, height int) {
	now := time.Now()
	if len(p.order) <= 3 {
		var b strings.Builder
		for _, uid := range p.order {
			wf, nodes := withStarts(est, p.wfs[uid], p.nodes[uid], now)
			writeTree(&b, wf, nodes, now)
			fmt.Fprintln(&b)
		}
		if strings.Count(b.String(), "\n") < height {
			fmt.Fprint(w, b.String())
			return
		}
	}
	// One line is left free: the cursor sits below the table.
	order := slices.Clone(p.order)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := p.rank[order[i]], p.rank[order[j]]
		return a != 0 && (b == 0 || a < b)
	})
	writeLiveTable(w, liveRows(order, p.wfs, p.nodes, views, est, now), width, height-1)
}

// showStarts makes the live view show waits' estimated starts.
func (p *progress) showStarts(est startEstimator) {
	p.mu.Lock()
	p.estimate = est
	p.dirty = true
	p.mu.Unlock()
}

func (p *progress) close() {
	if p.live {
		close(p.stop)
	}
	<-p.done
}

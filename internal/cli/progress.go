package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
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
	// estimate, once set, adds start estimates to the live view.
	estimate startEstimator
	stop     chan struct{}
	done     chan struct{}
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
		if !p.live && (waits || (n.Type == "Pod" || n.Type == "Suspend") && (!had || old.Phase != n.Phase) && n.Phase != wfv1.PhasePending) {
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

func (p *progress) redraw() {
	defer close(p.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.dirty {
				p.dirty = false
				var b strings.Builder
				b.WriteString("\x1b[H\x1b[2J")
				p.render(&b)
				fmt.Fprint(p.w, b.String())
			}
			p.mu.Unlock()
		}
	}
}

// render draws every workflow's tree, or one line each when there are
// many.
func (p *progress) render(w io.Writer) {
	now := time.Now()
	if len(p.order) > 3 {
		counts := map[string]int{}
		for _, uid := range p.order {
			counts[p.wfs[uid].Status.Phase]++
		}
		phases := make([]string, 0, len(counts))
		for ph := range counts {
			phases = append(phases, ph)
		}
		sort.Strings(phases)
		fmt.Fprintf(w, "%d workflows:", len(p.order))
		for _, ph := range phases {
			fmt.Fprintf(w, " %s %d", ph, counts[ph])
		}
		fmt.Fprintln(w)
		return
	}
	for _, uid := range p.order {
		wf, nodes := withStarts(p.estimate, p.wfs[uid], p.nodes[uid])
		writeTree(w, wf, nodes, now)
		fmt.Fprintln(w)
	}
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

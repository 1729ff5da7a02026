package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/locks"
)

// liveRow is one workflow's line in run's compact live view.
type liveRow struct {
	Name, Phase, Step, Elapsed string
	// Lock says what the workflow holds and waits for: "waits db (2 of
	// 3)", "holds db". A waiter and a holder never read alike.
	Lock string
	// ETA is when its wait is expected to end; empty until an estimate
	// exists (never made up).
	ETA   string
	ended bool
}

// lockName is how the live view names a lock: the ConfigMap key, the
// mutex or database key, the throttle's name; the full key if malformed.
func lockName(key string) string {
	k, err := domain.ParseLockKey(key)
	switch {
	case err != nil:
		return key
	case k.Kind == domain.LockConfigMap:
		return k.Key
	}
	return k.Name
}

// lockStates indexes the lock views by workflow: what each holds and
// what each waits for (with its place in the queue), in lock order.
func lockStates(views []locks.View) map[string][]string {
	holds := map[string][]string{}
	waits := map[string][]string{}
	sort.Slice(views, func(i, j int) bool { return views[i].Lock < views[j].Lock })
	for _, v := range views {
		name := lockName(v.Lock)
		seen := map[string]bool{}
		for h := range v.Holders {
			if hk, err := domain.ParseHolderKey(h); err == nil && !seen[hk.Namespace+"/"+hk.Workflow] {
				wf := hk.Namespace + "/" + hk.Workflow
				seen[wf] = true
				holds[wf] = append(holds[wf], "holds "+name)
			}
		}
		clear(seen)
		for i, h := range v.Waiters {
			if hk, err := domain.ParseHolderKey(h); err == nil && !seen[hk.Namespace+"/"+hk.Workflow] {
				wf := hk.Namespace + "/" + hk.Workflow
				seen[wf] = true
				waits[wf] = append(waits[wf], fmt.Sprintf("waits %s (%d of %d)", name, i+1, len(v.Waiters)))
			}
		}
	}
	// Waits first: they are what a reader looks for.
	for wf, h := range holds {
		waits[wf] = append(waits[wf], h...)
	}
	return waits
}

// currentStep names the step a workflow is at: the latest started
// running step (with how many others run), else a step waiting for a
// lock, else the last step that ended.
func currentStep(nodes map[string]wfv1.NodeStatus) string {
	var running, waiting, done []wfv1.NodeStatus
	for _, n := range nodes {
		step := n.Type == "Pod" || n.Type == "HTTP" || n.Type == "Suspend"
		switch {
		case n.Phase == wfv1.PhasePending && strings.HasPrefix(n.Message, "Waiting for "):
			// Any node may wait for a lock, a wrapper of steps too.
			waiting = append(waiting, n)
		case !step:
		case n.Phase == wfv1.PhaseRunning:
			running = append(running, n)
		case n.FinishedAt != nil:
			done = append(done, n)
		}
	}
	pick := func(ns []wfv1.NodeStatus, at func(wfv1.NodeStatus) *time.Time) string {
		sort.Slice(ns, func(i, j int) bool {
			a, b := at(ns[i]), at(ns[j])
			if a == nil || b == nil || a.Equal(*b) {
				return ns[i].ID < ns[j].ID
			}
			return a.After(*b)
		})
		s := ns[0].DisplayName
		if len(ns) > 1 {
			s += fmt.Sprintf(" +%d", len(ns)-1)
		}
		return s
	}
	started := func(n wfv1.NodeStatus) *time.Time { return n.StartedAt }
	switch {
	case len(running) > 0:
		return pick(running, started)
	case len(waiting) > 0:
		return pick(waiting, started)
	case len(done) > 0:
		return pick(done[:1:1], started)
	}
	return ""
}

// liveRows builds one row per workflow, in submission order; est, when
// set, gives waits their ETA.
func liveRows(order []string, wfs map[string]*wfv1.Workflow, nodes map[string]map[string]wfv1.NodeStatus, views []locks.View,
	est startEstimator, now time.Time) []liveRow {
	states := lockStates(views)
	rows := make([]liveRow, 0, len(order))
	for _, uid := range order {
		wf := wfs[uid]
		r := liveRow{Name: wf.Metadata.Name, Phase: wf.Status.Phase, Step: currentStep(nodes[uid]),
			Elapsed: duration(wf.Status.StartedAt, wf.Status.FinishedAt, now), ended: ended(wf.Status.Phase)}
		if r.Phase == "" {
			r.Phase = wfv1.PhasePending
		}
		if !r.ended {
			r.Lock = strings.Join(states[wf.Metadata.Namespace+"/"+wf.Metadata.Name], ", ")
			r.ETA = rowETA(est, wf, nodes[uid], now)
		}
		rows = append(rows, r)
	}
	return rows
}

// writeLiveTable prints rows as a table at most width columns wide and
// height lines high. When the rows do not fit, the workflows still
// running are shown first and the rest are summarised by phase on the
// last line.
func writeLiveTable(w io.Writer, rows []liveRow, width, height int) {
	if height < 3 {
		height = 3
	}
	shown := rows
	var hidden []liveRow
	if len(rows)+1 > height {
		active := make([]liveRow, 0, len(rows))
		var over []liveRow
		for _, r := range rows {
			if r.ended {
				over = append(over, r)
			} else {
				active = append(active, r)
			}
		}
		active = append(active, over...)
		// Header and summary take two lines.
		shown, hidden = active[:height-2], active[height-2:]
	}
	cols := []int{len("WORKFLOW"), len("PHASE"), len("STEP"), len("ELAPSED"), len("LOCK")}
	for _, r := range shown {
		for i, s := range []string{r.Name, r.Phase, r.Step, r.Elapsed, r.Lock} {
			cols[i] = max(cols[i], utf8.RuneCountInString(s))
		}
	}
	// The name and step give way first when the line is too long, then
	// the lock, so that what a workflow waits for and the start of its
	// estimate ("~2m10s") stay on an 80-column line; the rest of the
	// estimate is cut at the line's end.
	cols[0], cols[2] = min(cols[0], 40), min(cols[2], 30)
	eta := len("ETA")
	for _, r := range shown {
		eta = max(eta, utf8.RuneCountInString(r.ETA))
	}
	over := cols[0] + cols[1] + cols[2] + cols[3] + cols[4] + min(eta, 9) + 2*5 - width
	for _, c := range []struct{ i, floor int }{{2, 8}, {0, 10}, {4, 20}} {
		if over <= 0 {
			break
		}
		cut := min(over, max(cols[c.i]-c.floor, 0))
		cols[c.i] -= cut
		over -= cut
	}
	line := func(f ...string) {
		var b strings.Builder
		for i, s := range f {
			if i > 0 {
				b.WriteString("  ")
			}
			if i < len(cols) {
				s = fit(s, cols[i])
				if i < len(f)-1 {
					s += strings.Repeat(" ", cols[i]-utf8.RuneCountInString(s))
				}
			}
			b.WriteString(s)
		}
		fmt.Fprintln(w, fit(strings.TrimRight(b.String(), " "), width))
	}
	line("WORKFLOW", "PHASE", "STEP", "ELAPSED", "LOCK", "ETA")
	for _, r := range shown {
		line(r.Name, r.Phase, r.Step, r.Elapsed, r.Lock, r.ETA)
	}
	if len(hidden) > 0 {
		fmt.Fprintln(w, fit(fmt.Sprintf("... %d more:%s", len(hidden), phaseCounts(hidden)), width))
	}
}

// phaseCounts is " Running 3, Pending 10" for rows, phases in name order.
func phaseCounts(rows []liveRow) string {
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Phase]++
	}
	phases := make([]string, 0, len(counts))
	for ph := range counts {
		phases = append(phases, ph)
	}
	sort.Strings(phases)
	parts := make([]string, len(phases))
	for i, ph := range phases {
		parts[i] = fmt.Sprintf(" %s %d", ph, counts[ph])
	}
	return strings.Join(parts, ",")
}

// fit cuts s to n runes, marking the cut with "…".
func fit(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

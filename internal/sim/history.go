package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// Recorded is one workflow as a store keeps it, the input of FromHistory.
type Recorded struct {
	Name string
	// Kind groups workflows for --priority: the generateName, or the
	// name.
	Kind     string
	Priority int32
	Created  time.Time
	Finished time.Time // zero while it runs
	// Parents maps each node to its parent node, to tell which holders
	// are nested in which.
	Parents map[string]string
	// Events are its history in the order appended; those of the lock
	// history (domain.EventLock*) are used.
	Events []RecordedEvent
}

// RecordedEvent is one entry of a workflow's history.
type RecordedEvent struct {
	At            time.Time
	Type, Message string
}

// Recording is what really happened in the recorded run, measured as Run
// measures a simulation, to compare the two.
type Recording struct {
	// Zero is the scenario's time zero: the first creation.
	Zero time.Time
	// Done is when the last workflow ended, from Zero; Workflows are in
	// the order of their first grant, as Result's.
	Done      time.Duration
	Workflows []WorkflowResult
}

// FromHistory turns recorded workflows and the stored limits into a
// scenario that replays them: each workflow arrives when it was created;
// each lock request, release and the workflow's end happen, after what
// they waited for, as long after as they did in the recording. A request
// waits for the latest grant or release of its workflow before it and
// for the grants of the holders it is nested in; a release waits for its
// own grant and the latest grant or release nested in it. So a hold lasts
// as long as it did, wait times aside, and a wait the simulation makes
// shorter or longer moves what came after it.
//
// Requests of parallel branches are taken to wait for whatever grant or
// release came last before them, in whichever branch: close enough when
// the branches' waits are short against their holds.
func FromHistory(recs []Recorded, limits map[string]int) (Scenario, Recording, error) {
	var sc Scenario
	var rec Recording
	sorted := append([]Recorded(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].Created.Equal(sorted[j].Created) {
			return sorted[i].Created.Before(sorted[j].Created)
		}
		return sorted[i].Name < sorted[j].Name
	})
	if len(sorted) > 0 {
		rec.Zero = sorted[0].Created
	}
	used := map[string]bool{}
	d := newDecisions(sorted)
	type started struct {
		at  time.Time
		seq int
	}
	starts := make([]started, len(sorted))
	for i, r := range sorted {
		w, first, firstSeq, err := replay(r, rec.Zero, used, d)
		if err != nil {
			return Scenario{}, Recording{}, err
		}
		sc.Workflows = append(sc.Workflows, w)
		wr := WorkflowResult{Name: r.Name, Kind: r.Kind, Priority: r.Priority, Arrived: w.Created, Started: w.Created,
			Unfinished: r.Finished.IsZero()}
		starts[i] = started{r.Created, -1}
		if !first.IsZero() {
			wr.Started, starts[i] = first.Sub(rec.Zero), started{first, firstSeq}
		}
		if !wr.Unfinished {
			wr.Finished = r.Finished.Sub(rec.Zero)
			rec.Done = max(rec.Done, wr.Finished)
		}
		rec.Workflows = append(rec.Workflows, wr)
	}
	order := make([]int, len(sorted))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := starts[order[a]], starts[order[b]]
		if !x.at.Equal(y.at) {
			return x.at.Before(y.at)
		}
		return x.seq < y.seq
	})
	ws := make([]WorkflowResult, len(order))
	for i, j := range order {
		ws[i] = rec.Workflows[j]
	}
	rec.Workflows = ws
	keys := make([]string, 0, len(used))
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		limit, ok := limits[k]
		if !ok {
			return Scenario{}, Recording{}, fmt.Errorf("lock %s: the store keeps no limit for it", k)
		}
		sc.Locks = append(sc.Locks, Lock{Key: k, Limit: limit})
	}
	return sc, rec, nil
}

// point is a grant or release of the recording: the action that
// completes with it, when, and whose.
type point struct {
	act    int
	at     time.Time
	holder string
}

// replayer builds one workflow's actions from its lock history.
type replayer struct {
	d       *decisions
	r       Recorded
	w       Workflow
	arrived time.Time
	req     map[string]int       // holder -> its Request action
	granted map[string]time.Time // holder -> recorded grant
	gone    map[string]bool      // released
	points  []point
}

// replay returns the workflow's actions and its first grant (zero if
// none), with that grant's place among its lock events.
func replay(r Recorded, zero time.Time, used map[string]bool, d *decisions) (Workflow, time.Time, int, error) {
	p := &replayer{d: d, r: r, arrived: r.Created, req: map[string]int{}, granted: map[string]time.Time{}, gone: map[string]bool{},
		w: Workflow{Name: r.Name, Kind: r.Kind, Priority: r.Priority, Created: r.Created.Sub(zero)}}
	evs := lockEvents(r.Events)
	sortEvents(evs)
	var first time.Time
	firstSeq := -1
	for i, e := range evs {
		switch e.Type {
		case domain.EventLockRequested:
			lr, err := domain.ParseLockRequest(e.Message)
			if err != nil {
				return Workflow{}, time.Time{}, 0, fmt.Errorf("workflow %s: %w", r.Name, err)
			}
			if _, ok := p.req[lr.Holder]; ok {
				continue // asked again after a restart: the first counts
			}
			for _, k := range lr.Locks {
				used[k] = true
			}
			p.request(lr, e.At)
		case domain.EventLockGranted:
			act, asked := p.req[e.Message]
			if _, done := p.granted[e.Message]; !asked || done || p.gone[e.Message] {
				continue
			}
			at := p.d.decided(e.Message, e.At)
			p.granted[e.Message] = at
			p.points = append(p.points, point{act: act, at: at, holder: e.Message})
			if firstSeq < 0 {
				first, firstSeq = at, i
			}
		case domain.EventLockReleased:
			if _, asked := p.req[e.Message]; !asked || p.gone[e.Message] {
				continue
			}
			p.release(e.Message, e.At)
		}
	}
	if !r.Finished.IsZero() {
		a := Action{Kind: Finish}
		p.after(&a, r.Finished, p.latest(nil))
		p.w.Actions = append(p.w.Actions, a)
	}
	return p.w, first, firstSeq, nil
}

// after makes a wait for deps, with the recorded delay from the last of
// them to at (never negative).
func (p *replayer) after(a *Action, at time.Time, deps []point) {
	from := p.arrived
	for _, d := range deps {
		a.After = append(a.After, d.act)
		if d.at.After(from) {
			from = d.at
		}
	}
	a.Delay = max(0, at.Sub(from))
}

// latest is the last point that keep accepts (nil: any), as a list of
// zero or one.
func (p *replayer) latest(keep func(point) bool) []point {
	for i := len(p.points) - 1; i >= 0; i-- {
		if keep == nil || keep(p.points[i]) {
			return []point{p.points[i]}
		}
	}
	return nil
}

func (p *replayer) request(lr domain.LockRequest, at time.Time) {
	a := Action{Kind: Request, Holder: lr.Holder, Locks: lr.Locks}
	deps := p.latest(nil)
	for h, act := range p.req {
		if g, ok := p.granted[h]; ok && !p.gone[h] && p.nests(h, lr.Holder) {
			deps = append(deps, point{act: act, at: g, holder: h})
		}
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].act < deps[j].act })
	p.after(&a, at, dedupe(deps))
	p.req[lr.Holder] = len(p.w.Actions)
	p.w.Actions = append(p.w.Actions, a)
}

func (p *replayer) release(holder string, at time.Time) {
	a := Action{Kind: Release, Holder: holder}
	var deps []point
	if g, ok := p.granted[holder]; ok {
		deps = append(deps, point{act: p.req[holder], at: g, holder: holder})
		deps = append(deps, p.latest(func(q point) bool { return q.holder != holder && p.nests(holder, q.holder) })...)
	} else {
		// A wait given up: after whatever came last.
		deps = p.latest(nil)
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].act < deps[j].act })
	p.after(&a, at, dedupe(deps))
	p.gone[holder] = true
	act := len(p.w.Actions)
	p.w.Actions = append(p.w.Actions, a)
	p.points = append(p.points, point{act: act, at: at, holder: holder})
}

func dedupe(ps []point) []point {
	out := ps[:0]
	for i, q := range ps {
		if i == 0 || q.act != ps[i-1].act {
			out = append(out, q)
		}
	}
	return out
}

// nests says whether holder outer encloses inner: the workflow's own
// holder encloses its nodes', and a node's encloses those of the nodes
// below it.
func (p *replayer) nests(outer, inner string) bool {
	o, err1 := domain.ParseHolderKey(outer)
	in, err2 := domain.ParseHolderKey(inner)
	if err1 != nil || err2 != nil || outer == inner || in.NodeID == "" {
		return false
	}
	if o.NodeID == "" {
		return true
	}
	id := in.NodeID
	for range len(p.r.Parents) + 1 {
		parent, ok := p.r.Parents[id]
		if !ok {
			return false
		}
		if parent == o.NodeID {
			return true
		}
		id = parent
	}
	return false
}

func lockEvents(all []RecordedEvent) []RecordedEvent {
	evs := make([]RecordedEvent, 0, len(all))
	for _, e := range all {
		switch e.Type {
		case domain.EventLockRequested, domain.EventLockGranted, domain.EventLockReleased:
			evs = append(evs, e)
		}
	}
	return evs
}

func sortEvents(evs []RecordedEvent) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
}

// decisions finds when each recorded grant was decided. A grant is
// recorded when its workflow heard of it, after the transaction that
// made it committed; it was made by the holder's own request or by a
// release of one of its locks, whichever came last before it was heard.
// Holds count from then, as the permit was taken then.
type decisions struct {
	asked    map[string]time.Time   // holder -> its request
	locks    map[string][]string    // holder -> the locks it asked for
	releases map[string][]time.Time // lock -> releases of its holders, sorted
}

func newDecisions(recs []Recorded) *decisions {
	d := &decisions{asked: map[string]time.Time{}, locks: map[string][]string{}, releases: map[string][]time.Time{}}
	for _, r := range recs {
		evs := lockEvents(r.Events)
		sortEvents(evs)
		for _, e := range evs {
			if e.Type != domain.EventLockRequested {
				continue
			}
			lr, err := domain.ParseLockRequest(e.Message)
			if _, seen := d.asked[lr.Holder]; err == nil && !seen {
				d.asked[lr.Holder], d.locks[lr.Holder] = e.At, lr.Locks
			}
		}
	}
	for _, r := range recs {
		for _, e := range r.Events {
			if e.Type == domain.EventLockReleased {
				for _, k := range d.locks[e.Message] {
					d.releases[k] = append(d.releases[k], e.At)
				}
			}
		}
	}
	for _, ts := range d.releases {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	}
	return d
}

// decided is when holder's grant, heard at heard, was made.
func (d *decisions) decided(holder string, heard time.Time) time.Time {
	at, ok := d.asked[holder]
	if !ok || at.After(heard) {
		return heard
	}
	for _, k := range d.locks[holder] {
		ts := d.releases[k]
		// The last release at or before heard.
		i := sort.Search(len(ts), func(i int) bool { return ts[i].After(heard) })
		if i > 0 && ts[i-1].After(at) {
			at = ts[i-1]
		}
	}
	return at
}

package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
)

// Load is a load description (README, "semaflow simulate"): locks with
// limits and kinds of workflow that arrive over time.
type Load struct {
	// Seed drives every random duration; the same seed, the same run.
	Seed         uint64         `json:"seed"`
	Policy       string         `json:"policy"`       // backfill (default) or strict
	ReserveAfter *Dist          `json:"reserveAfter"` // a fixed duration; default the engine's
	Locks        map[string]int `json:"locks"`
	Workflows    []Kind         `json:"workflows"`
}

// Kind is one shape of workflow and how its copies arrive.
type Kind struct {
	Kind     string `json:"kind"`
	Priority int32  `json:"priority"`
	// Arrivals: at the times At, or Count of them from Start, Every apart
	// (Every may be random: exponential gives a Poisson stream).
	At    []Dist `json:"at"`
	Count int    `json:"count"`
	Start *Dist  `json:"start"`
	Every *Dist  `json:"every"`
	// Locks are held for the whole workflow, taken before its first step.
	Locks []string `json:"locks"`
	Steps []Step   `json:"steps"`
}

// Step takes its locks (none: it only takes time), holds them for Hold,
// and lets them go before the next step.
type Step struct {
	Locks []string `json:"locks"`
	Hold  Dist     `json:"hold"`
}

// Dist is a duration, fixed ("90s") or random: {uniform: [min, max]},
// {exponential: mean} or {normal: [mean, stddev]} (below 0 counts as 0).
type Dist struct {
	Fixed       time.Duration
	Uniform     [2]time.Duration
	Exponential time.Duration
	Normal      [2]time.Duration
	kind        string
}

// UnmarshalJSON reads a Dist's two forms.
func (d *Dist) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			return fmt.Errorf("duration %q: want a duration such as 500ms or 2m, not negative", s)
		}
		d.Fixed, d.kind = v, "fixed"
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || len(m) != 1 {
		return fmt.Errorf("duration %s: want \"90s\", {uniform: [min, max]}, {exponential: mean} or {normal: [mean, stddev]}", b)
	}
	for k, raw := range m {
		switch k {
		case "uniform", "normal":
			var pair []string
			if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
				return fmt.Errorf("%s: want two durations, [%s]", k, map[string]string{"uniform": "min, max", "normal": "mean, stddev"}[k])
			}
			var v [2]time.Duration
			for i, p := range pair {
				x, err := time.ParseDuration(p)
				if err != nil || x < 0 {
					return fmt.Errorf("%s: %q is not a duration of 0 or more", k, p)
				}
				v[i] = x
			}
			if k == "uniform" {
				if v[1] < v[0] {
					return fmt.Errorf("uniform: max %v is below min %v", v[1], v[0])
				}
				d.Uniform = v
			} else {
				d.Normal = v
			}
		case "exponential":
			var p string
			if err := json.Unmarshal(raw, &p); err != nil {
				return fmt.Errorf("exponential: want the mean, a duration")
			}
			x, err := time.ParseDuration(p)
			if err != nil || x < 0 {
				return fmt.Errorf("exponential: %q is not a duration of 0 or more", p)
			}
			d.Exponential = x
		default:
			return fmt.Errorf("duration: unknown distribution %q (want uniform, exponential or normal)", k)
		}
		d.kind = k
	}
	return nil
}

// ParseLoad reads a load description (file names it in errors) and makes
// its scenario, drawing every random duration from Seed in file order.
func ParseLoad(file string, data []byte) (Scenario, error) {
	var l Load
	if err := decodeLoad(data, &l); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", file, err)
	}
	// From the counts, before anything is made: a few lines of YAML can
	// ask for more workflows than memory holds.
	if err := l.checkSize(); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", file, err)
	}
	var sc Scenario
	switch l.Policy {
	case "", "backfill":
	case "strict":
		sc.Queue.Policy = lockq.Strict
	default:
		return Scenario{}, fmt.Errorf("%s: policy %q: want backfill or strict", file, l.Policy)
	}
	if l.ReserveAfter != nil {
		if l.ReserveAfter.kind != "fixed" || l.ReserveAfter.Fixed == 0 {
			return Scenario{}, fmt.Errorf("%s: reserveAfter: want a fixed duration above 0", file)
		}
		if err := l.ReserveAfter.check("reserveAfter"); err != nil {
			return Scenario{}, fmt.Errorf("%s: %w", file, err)
		}
		sc.Queue.ReserveAfter = l.ReserveAfter.Fixed
	}
	keys := make([]string, 0, len(l.Locks))
	for k := range l.Locks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sc.Locks = append(sc.Locks, Lock{Key: k, Limit: l.Locks[k]})
	}
	rng := rand.New(rand.NewPCG(l.Seed, l.Seed^0x5eaf10))
	for i, k := range l.Workflows {
		ws, err := k.build(rng, fmt.Sprintf("workflows[%d] (%s)", i, k.Kind))
		if err != nil {
			return Scenario{}, fmt.Errorf("%s: workflows[%d] (%s): %w", file, i, k.Kind, err)
		}
		sc.Workflows = append(sc.Workflows, ws...)
	}
	if err := sc.Validate(); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", file, err)
	}
	return sc, nil
}

func (k *Kind) arrivals(rng *rand.Rand) ([]time.Duration, error) {
	if len(k.At) > 0 {
		if k.Count != 0 || k.Every != nil || k.Start != nil {
			return nil, fmt.Errorf("give at, or count with start and every, not both")
		}
		out := make([]time.Duration, len(k.At))
		for i := range k.At {
			field := fmt.Sprintf("at[%d]", i)
			if err := k.At[i].check(field); err != nil {
				return nil, err
			}
			v, err := k.At[i].draw(rng, field)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	if k.Count < 1 || k.Count > maxWorkflows {
		return nil, fmt.Errorf("count %d: want 1 to %d (or at: [times])", k.Count, maxWorkflows)
	}
	if k.Count > 1 && k.Every == nil {
		return nil, fmt.Errorf("count %d needs every: the time between arrivals", k.Count)
	}
	var t time.Duration
	if k.Start != nil {
		if err := k.Start.check("start"); err != nil {
			return nil, err
		}
		v, err := k.Start.draw(rng, "start")
		if err != nil {
			return nil, err
		}
		t = v
	}
	if k.Every != nil {
		if err := k.Every.check("every"); err != nil {
			return nil, err
		}
	}
	out := make([]time.Duration, k.Count)
	for i := range out {
		if i > 0 {
			every, err := k.Every.draw(rng, "every")
			if err != nil {
				return nil, err
			}
			if t, err = later(t, every, "every"); err != nil {
				return nil, fmt.Errorf("%w (arrival %d of %d)", err, i+1, k.Count)
			}
		}
		out[i] = t
	}
	return out, nil
}

func (k *Kind) build(rng *rand.Rand, where string) ([]Workflow, error) {
	if k.Kind == "" || strings.ContainsAny(k.Kind, " /") {
		return nil, fmt.Errorf("kind %q: want a name without spaces or slashes", k.Kind)
	}
	at, err := k.arrivals(rng)
	if err != nil {
		return nil, err
	}
	// fields name the holds in errors, sources in the actions they time.
	fields, sources := make([]string, len(k.Steps)), make([]string, len(k.Steps))
	for i := range k.Steps {
		fields[i] = fmt.Sprintf("steps[%d].hold", i)
		sources[i] = where + " " + fields[i]
		if err := k.Steps[i].Hold.check(fields[i]); err != nil {
			return nil, err
		}
	}
	out := make([]Workflow, len(at))
	for n, t := range at {
		name := fmt.Sprintf("%s-%d", k.Kind, n+1)
		w := Workflow{Name: name, Kind: k.Kind, Priority: k.Priority, Created: t}
		prev, pending, source := -1, time.Duration(0), ""
		add := func(a Action) {
			if prev >= 0 {
				a.After = []int{prev}
			}
			if pending > 0 {
				a.Delay += pending
				a.Source = source
			}
			pending = 0
			w.Actions = append(w.Actions, a)
			prev = len(w.Actions) - 1
		}
		if len(k.Locks) > 0 {
			add(Action{Kind: Request, Holder: name, Locks: k.Locks})
		}
		// end is when the copy would end without waiting: beyond the
		// clock, it could never be simulated.
		end := t
		for i, st := range k.Steps {
			hold, err := st.Hold.draw(rng, fields[i])
			if err != nil {
				return nil, err
			}
			if end, err = later(end, hold, fields[i]); err != nil {
				return nil, fmt.Errorf("%w (%s arrives at %v)", err, name, t)
			}
			if len(st.Locks) == 0 {
				pending += hold
				source = sources[i]
				continue
			}
			h := fmt.Sprintf("%s/%d", name, i+1)
			add(Action{Kind: Request, Holder: h, Locks: st.Locks})
			add(Action{Kind: Release, Holder: h, Delay: hold, Source: sources[i]})
		}
		if len(k.Locks) > 0 {
			add(Action{Kind: Release, Holder: name})
		}
		add(Action{Kind: Finish})
		out[n] = w
	}
	return out, nil
}

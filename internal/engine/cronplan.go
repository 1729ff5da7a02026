package engine

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/semaflow/semaflow/api/wfv1"
)

// cronGrace is how late a run may start when the CronWorkflow gives no
// startingDeadlineSeconds: enough for a scheduler that wakes a little
// late, not enough to replay runs missed while the server was down.
const cronGrace = 10 * time.Second

// cronPlan is a CronWorkflow's parsed schedules in its timezone.
type cronPlan struct {
	scheds []cron.Schedule
	loc    *time.Location
	grace  time.Duration
}

func newCronPlan(s *wfv1.CronWorkflowSpec) (*cronPlan, error) {
	p := &cronPlan{loc: time.Local, grace: cronGrace}
	if s.Timezone != "" {
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			return nil, fmt.Errorf("spec.timezone %q: %w", s.Timezone, err)
		}
		p.loc = loc
	}
	if s.StartingDeadlineSeconds != nil && *s.StartingDeadlineSeconds > 0 {
		p.grace = time.Duration(*s.StartingDeadlineSeconds) * time.Second
	}
	scheds := s.AllSchedules()
	if len(scheds) == 0 {
		return nil, fmt.Errorf("spec.schedules is empty")
	}
	for _, text := range scheds {
		sc, err := cron.ParseStandard(text)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", text, err)
		}
		p.scheds = append(p.scheds, sc)
	}
	return p, nil
}

// next is the first scheduled time after t.
func (p *cronPlan) next(t time.Time) time.Time {
	var best time.Time
	for _, s := range p.scheds {
		if n := s.Next(t.In(p.loc)); best.IsZero() || n.Before(best) {
			best = n
		}
	}
	return best
}

// cronDecision is what is due at one moment.
type cronDecision struct {
	// Due is the latest scheduled time within the grace period before
	// now; zero if none. It is the run to start.
	Due time.Time
	// Missed says that scheduled times passed beyond the grace period
	// (the server was down): they are skipped.
	Missed bool
	// Next is the first scheduled time after now.
	Next time.Time
}

// decide finds the run due since last. Only the latest due run starts, as
// in Argo and Kubernetes: runs missed for longer than the grace period are
// not replayed.
func (p *cronPlan) decide(last, now time.Time) cronDecision {
	var d cronDecision
	from := last
	if w := now.Add(-p.grace); w.After(from) {
		d.Missed = !p.next(last).After(w)
		from = w
	}
	t := p.next(from)
	for !t.IsZero() && !t.After(now) {
		d.Due = t
		t = p.next(t)
	}
	d.Next = t
	return d
}

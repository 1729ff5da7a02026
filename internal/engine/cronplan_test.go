package engine

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

func TestCronDecide(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	deadline := func(n int64) *int64 { return &n }
	cases := []struct {
		name      string
		spec      wfv1.CronWorkflowSpec
		last, now string
		due, next string // "" for none
		missed    bool
	}{
		{name: "not yet due", spec: wfv1.CronWorkflowSpec{Schedules: []string{"0 * * * *"}},
			last: "2026-01-01T10:00:00Z", now: "2026-01-01T10:59:59Z", next: "2026-01-01T11:00:00Z"},
		{name: "due on time", spec: wfv1.CronWorkflowSpec{Schedules: []string{"0 * * * *"}},
			last: "2026-01-01T10:00:00Z", now: "2026-01-01T11:00:00.2Z", due: "2026-01-01T11:00:00Z", next: "2026-01-01T12:00:00Z"},
		{name: "down for hours: skipped without a deadline", spec: wfv1.CronWorkflowSpec{Schedules: []string{"0 * * * *"}},
			last: "2026-01-01T10:00:00Z", now: "2026-01-01T14:30:00Z", next: "2026-01-01T15:00:00Z", missed: true},
		{name: "down: the latest run within the deadline starts, once", spec: wfv1.CronWorkflowSpec{Schedules: []string{"0 * * * *"},
			StartingDeadlineSeconds: deadline(3600)},
			last: "2026-01-01T10:00:00Z", now: "2026-01-01T14:30:00Z", due: "2026-01-01T14:00:00Z", next: "2026-01-01T15:00:00Z", missed: true},
		{name: "two schedules: the nearer wins", spec: wfv1.CronWorkflowSpec{Schedules: []string{"0 * * * *", "30 * * * *"}},
			last: "2026-01-01T10:00:00Z", now: "2026-01-01T10:10:00Z", next: "2026-01-01T10:30:00Z"},
		{name: "timezone", spec: wfv1.CronWorkflowSpec{Schedules: []string{"0 9 * * *"}, Timezone: "America/New_York"},
			last: "2026-01-01T00:00:00Z", now: "2026-01-01T13:00:00Z", next: "2026-01-01T14:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := newCronPlan(&c.spec)
			if err != nil {
				t.Fatal(err)
			}
			d := p.decide(at(c.last), at(c.now))
			var want time.Time
			if c.due != "" {
				want = at(c.due)
			}
			if !d.Due.Equal(want) || !d.Next.Equal(at(c.next)) || d.Missed != c.missed {
				t.Fatalf("decide = due %v next %v missed %v; want due %v next %s missed %v", d.Due, d.Next, d.Missed, want, c.next, c.missed)
			}
		})
	}
	if _, err := newCronPlan(&wfv1.CronWorkflowSpec{Schedules: []string{"* * *"}}); err == nil {
		t.Fatal("a 3-field schedule was accepted")
	}
	if _, err := newCronPlan(&wfv1.CronWorkflowSpec{Schedules: []string{"* * * * *"}, Timezone: "Mars/Olympus"}); err == nil {
		t.Fatal("an unknown timezone was accepted")
	}
}

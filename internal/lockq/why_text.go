package lockq

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// Lines renders a Why as plain sentences, one per line: a header, then per
// lock its position, holders, who is ahead and why, and what holds the
// waiter back there (indented), then a one-line verdict. now dates the
// "ago" parts; times print in their own location.
func (w Why) Lines(now time.Time) []string {
	n := len(w.Locks)
	out := []string{fmt.Sprintf("%s (priority %d) has waited %s for %d %s.",
		w.Holder, w.Priority, ago(now, w.Enqueued), n, plural(n, "lock", "locks"))}
	for _, lw := range w.Locks {
		out = append(out, lw.lines(w, now)...)
	}
	return append(out, w.verdict())
}

// Text is Lines joined, ending in a newline.
func (w Why) Text(now time.Time) string { return strings.Join(w.Lines(now), "\n") + "\n" }

func (lw LockWhy) lines(w Why, now time.Time) []string {
	out := []string{fmt.Sprintf("%s: position %d of %d; %d of %d %s held.",
		LockName(lw.Lock), lw.Position, lw.Length, lw.Held, lw.Limit, plural(lw.Limit, "permit", "permits"))}
	for _, h := range lw.Holders {
		out = append(out, "  "+h.sentence(now))
	}
	if lw.HoldersMore > 0 {
		out = append(out, fmt.Sprintf("  ... and %d more %s.", lw.HoldersMore, plural(lw.HoldersMore, "holder", "holders")))
	}
	if len(lw.Holders) == 0 && lw.Held == 0 {
		out = append(out, "  Nobody holds it.")
	}
	for _, a := range lw.Ahead {
		out = append(out, "  "+a.sentence(w, now))
	}
	if lw.AheadMore > 0 {
		out = append(out, fmt.Sprintf("  ... and %d more ahead.", lw.AheadMore))
	}
	for _, r := range lw.Reasons {
		out = append(out, "  "+r.sentence(lw, now))
	}
	if len(lw.Reasons) == 0 {
		out = append(out, fmt.Sprintf("  %s does not hold it back: a permit is free for it.", lw.Lock))
	}
	return out
}

func (h HolderWhy) sentence(now time.Time) string {
	s := "Held by workflow " + h.Workflow
	if h.Node != "" {
		s = "Held by node " + h.Node + " of workflow " + h.Workflow
	}
	s += fmt.Sprintf(", token %d", h.Token)
	if !h.Since.IsZero() {
		s += ", since " + clock(now, h.Since) + " (" + ago(now, h.Since) + " ago)"
	}
	if h.Release != "" {
		s += ", " + h.Release
	}
	if x := h.WaitsOn; x != nil {
		s += fmt.Sprintf("; it waits itself, through %s, for %s, held by %s, which this waiter runs under: "+
			"neither can go on (a deadlock, unless another holder releases)", x.Waiter, x.Lock, x.HeldBy)
	}
	return s + "."
}

func (a AheadWhy) sentence(w Why, now time.Time) string {
	var why string
	switch a.Because {
	case AheadPriority:
		why = fmt.Sprintf("higher priority (%d > %d)", a.Priority, w.Priority)
	case AheadCreated:
		ca, cw := clock(now, a.Created), clock(now, w.Created)
		if ca == cw {
			// Within one second: the fraction is what differs.
			ca, cw = fineClock(now, a.Created), fineClock(now, w.Created)
		}
		why = fmt.Sprintf("same priority %d, created earlier (%s < %s)", a.Priority, ca, cw)
	default:
		why = fmt.Sprintf("same priority %d and creation time, queued earlier", a.Priority)
	}
	s := fmt.Sprintf("Ahead of it: %s, for its %s", a.Holder, why)
	switch {
	case a.GrantedFirst:
		s += "; it is granted first"
	case a.Reserving:
		s += "; it reserves its locks"
	}
	return s + "."
}

func (r Reason) sentence(lw LockWhy, now time.Time) string {
	switch r.Kind {
	case ReasonPaused:
		return fmt.Sprintf("%s is paused: its limit is 0.", r.Lock)
	case ReasonFull:
		s := fmt.Sprintf("%s has no free permit: %d of %d held", r.Lock, lw.Held, lw.Limit)
		if len(r.TakenBy) > 0 {
			s += ", and the rest go to " + strings.Join(r.TakenBy, ", ") + ", ahead of it"
		}
		return s + "."
	case ReasonReserved:
		return fmt.Sprintf("A permit of %s is reserved for %s, which needs %s, since %s.",
			r.Lock, r.By, strings.Join(r.ByLocks, "+"), clock(now, r.Since))
	case ReasonStrictOrder:
		return fmt.Sprintf("Under the strict policy nobody passes %s, which needs %s and cannot be granted yet.",
			r.By, strings.Join(r.ByLocks, "+"))
	}
	return fmt.Sprintf("%s holds it back (%s).", r.Lock, r.Kind)
}

func (w Why) verdict() string {
	if w.Grantable {
		return "Nothing holds it back: the grant rule grants it now."
	}
	if !w.LimitOnly {
		var by []string
		for _, lw := range w.Locks {
			for _, r := range lw.Reasons {
				if r.By != "" && !slices.Contains(by, r.By) {
					by = append(by, r.By)
				}
			}
		}
		return "It cannot start before " + strings.Join(by, " and ") + " " + plural(len(by), "is", "are") + " granted."
	}
	var full []string
	for _, lw := range w.Locks {
		if len(lw.Reasons) > 0 {
			full = append(full, lw.Lock)
		}
	}
	if len(full) == 1 {
		return "Nothing but the limit of " + full[0] + " holds it back."
	}
	return "Nothing but the limits of " + strings.Join(full, " and ") + " hold it back."
}

// LockName is a lock key for people: an engine throttle says which flag
// sets it.
func LockName(key string) string {
	k, err := domain.ParseLockKey(key)
	if err != nil || k.Kind != domain.LockEngine {
		return key
	}
	switch k.Name {
	case "parallelism":
		return key + " (the engine's --parallelism)"
	case "namespace-parallelism":
		return key + " (the engine's --namespace-parallelism for " + k.Namespace + ")"
	}
	return key + " (an engine throttle)"
}

// clock prints t as a time of day, with the date when it is not now's day.
func clock(now, t time.Time) string {
	if y, m, d := t.Date(); y == now.In(t.Location()).Year() && m == now.In(t.Location()).Month() && d == now.In(t.Location()).Day() {
		return t.Format(time.TimeOnly)
	}
	return t.Format(time.DateTime)
}

// fineClock is clock with the fraction of the second, trailing zeros
// dropped.
func fineClock(now, t time.Time) string {
	if y, m, d := t.Date(); y == now.In(t.Location()).Year() && m == now.In(t.Location()).Month() && d == now.In(t.Location()).Day() {
		return t.Format("15:04:05.999999999")
	}
	return t.Format("2006-01-02 15:04:05.999999999")
}

func ago(now, t time.Time) string {
	d := max(0, now.Sub(t)).Round(time.Second)
	return d.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

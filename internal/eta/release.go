package eta

import "time"

// NoStart is why a hold's end is unknown when its start was not recorded
// (a hold stored before semaflow kept it).
const NoStart = "its start was not recorded"

// Release returns when a hold in progress is expected to end: the median
// and 90th percentile of the time left of holds that lasted as long
// (Digest.Remaining), from its template's history once that has
// MinSamples holds, else the lock's (history), without rare far outliers.
// Unknown while the lock has fewer, when the hold's start is not known,
// or when it has lasted longer than every such hold (HeldOverdue).
func Release(history *Digest, h Holder, now time.Time) Start {
	switch {
	case history.Count() < MinSamples:
		return Start{Why: NoHistory}
	case h.Since.IsZero():
		return Start{Why: NoStart}
	}
	d := history
	if h.Hist.Count() >= MinSamples {
		d = h.Hist
	}
	d = d.typical()
	elapsed := max(0, now.Sub(h.Since))
	if isOverdue(d, elapsed) {
		return Start{Why: HeldOverdue, Overdue: &Overdue{Held: elapsed, P90: d.Quantile(0.9)}}
	}
	return Start{Known: true, P50: now.Add(d.Remaining(elapsed, 0.5)), P90: now.Add(d.Remaining(elapsed, 0.9))}
}

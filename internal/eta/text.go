package eta

import "time"

// Text is how people read a start estimate, after the queue position:
// "starts in ~2m10s (90%: 5m)", or "start time unknown (no history yet)";
// behind an overdue hold, "starts when ns/wf releases (overdue: held 45s,
// 90% of holds end by 30s)", or "starts after" for a waiter that needs
// more than that release.
func Text(s Start, now time.Time) string {
	if o := s.Overdue; o != nil {
		who := o.Holder
		if o.Others > 0 {
			who += " (or another overdue holder)"
		}
		if o.After {
			return "starts after " + who + " releases (" + o.said() + ")"
		}
		return "starts when " + who + " releases (" + o.said() + ")"
	}
	if !s.Known {
		return "start time unknown (" + s.Why + ")"
	}
	return "starts in ~" + Short(s.P50.Sub(now)) + " (90%: " + Short(s.P90.Sub(now)) + ")"
}

// EndText is how people read a hold's expected end (Release): "ends in
// ~1m30s (90%: 4m)", "end time unknown (no history yet)", or "overdue
// (held 45s, 90% of holds end by 30s)".
func EndText(s Start, now time.Time) string {
	if s.Overdue != nil {
		return "overdue (" + s.Overdue.held() + ")"
	}
	if !s.Known {
		return "end time unknown (" + s.Why + ")"
	}
	return "ends in ~" + Short(s.P50.Sub(now)) + " (90%: " + Short(s.P90.Sub(now)) + ")"
}

// Short writes a duration as people estimate: whole seconds under a
// minute, tens of seconds under an hour, minutes above; "0s" for none.
func Short(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0s"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return trimZero(d.Round(10 * time.Second).String())
	default:
		return trimZero(d.Round(time.Minute).String())
	}
}

// trimZero drops the zero seconds and minutes of "5m0s" and "2h0m0s".
func trimZero(s string) string {
	for _, z := range []string{"0s", "0m"} {
		if len(s) > len(z) && s[len(s)-len(z):] == z && (s[len(s)-len(z)-1] < '0' || s[len(s)-len(z)-1] > '9') {
			s = s[:len(s)-len(z)]
		}
	}
	return s
}

// ReleaseText is how explain says a hold's expected end (Release), after
// who holds: "expected to release in ~1m30s (90%: 4m)", or "release time
// unknown (no history yet)", or "release overdue (held 45s, 90% of holds
// end by 30s)".
func ReleaseText(s Start, now time.Time) string {
	if s.Overdue != nil {
		return "release overdue (" + s.Overdue.held() + ")"
	}
	if !s.Known {
		return "release time unknown (" + s.Why + ")"
	}
	return "expected to release in ~" + Short(s.P50.Sub(now)) + " (90%: " + Short(s.P90.Sub(now)) + ")"
}

// said is an overdue hold in a few words: "overdue: held 45s, 90% of
// holds end by 30s".
func (o *Overdue) said() string { return "overdue: " + o.held() }

func (o *Overdue) held() string {
	return "held " + fine(o.Held) + ", 90% of holds end by " + fine(o.P90)
}

// fine is Short, but in milliseconds below a second: holds of 0.2s are
// not "0s".
func fine(d time.Duration) string {
	if d > 0 && d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return Short(d)
}

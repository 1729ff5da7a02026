package eta

import "time"

// Text is how people read a start estimate, after the queue position:
// "starts in ~2m10s (90%: 5m)", or "start time unknown (no history yet)".
func Text(s Start, now time.Time) string {
	if !s.Known {
		return "start time unknown (" + s.Why + ")"
	}
	return "starts in ~" + Short(s.P50.Sub(now)) + " (90%: " + Short(s.P90.Sub(now)) + ")"
}

// EndText is how people read a hold's expected end (Release): "ends in
// ~1m30s (90%: 4m)", or "end time unknown (no history yet)".
func EndText(s Start, now time.Time) string {
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
// unknown (no history yet)".
func ReleaseText(s Start, now time.Time) string {
	if !s.Known {
		return "release time unknown (" + s.Why + ")"
	}
	return "expected to release in ~" + Short(s.P50.Sub(now)) + " (90%: " + Short(s.P90.Sub(now)) + ")"
}

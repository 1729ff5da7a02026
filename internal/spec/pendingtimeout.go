package spec

import (
	"fmt"
	"strconv"
	"time"
)

// Bounds of a lock wait's timeout (pendingTimeout, and the annotation
// semaflow.dev/pending-timeout). Argo sets no minimum; semaflow's is one
// second, because less fails a waiter before the grant rule or a
// restarted engine has had a turn, which reads as "no permit" when it is
// only "no time". The maximum keeps the deadline (start + timeout) far
// from time.Duration's overflow, which made an enormous value time out
// at once.
const (
	MinPendingTimeout = time.Second
	MaxPendingTimeout = 10 * 365 * 24 * time.Hour
)

// ParsePendingTimeout reads a lock wait's timeout: a Go duration ("90s",
// "5m") or a plain number of seconds ("120", "1.5"), within
// [MinPendingTimeout, MaxPendingTimeout]. Lint and the engine both read
// it here, so what lint passes is what the engine waits.
func ParsePendingTimeout(s string) (time.Duration, error) {
	var d time.Duration
	if plainSeconds(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("pending timeout %q: %w", s, err)
		}
		if f > MaxPendingTimeout.Seconds() {
			return 0, fmt.Errorf("pending timeout %q is too long: at most %s (%d seconds)", s, MaxPendingTimeout, int64(MaxPendingTimeout.Seconds()))
		}
		d = time.Duration(f * float64(time.Second))
	} else {
		v, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q for a pending timeout: use a number of seconds or a value such as \"30s\", \"5m\", \"1h\" "+
				"(1s to %s)", s, MaxPendingTimeout)
		}
		d = v
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("pending timeout %q must not be negative", s)
	case d < MinPendingTimeout:
		return 0, fmt.Errorf("pending timeout %q is too short: at least 1s (leave it out for no timeout)", s)
	case d > MaxPendingTimeout:
		return 0, fmt.Errorf("pending timeout %q is too long: at most %s", s, MaxPendingTimeout)
	}
	return d, nil
}

// plainSeconds says whether s is digits with at most one decimal point
// (and a leading minus): no exponent, no sign of plus, no NaN or Inf.
func plainSeconds(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	dot, digits := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// checkPendingTimeoutValue reports a timeout ParsePendingTimeout refuses,
// at path.
func checkPendingTimeoutValue(d *Document, path, s string) {
	if s == "" || isTemplated(s) {
		return
	}
	if _, err := ParsePendingTimeout(s); err != nil {
		d.errorAt(path, "%v", err)
	}
}

package spec

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// checkCronSchedule accepts the syntax Argo accepts: five fields, the
// @hourly-style descriptors and an optional CRON_TZ= prefix; it refuses
// what that syntax lets through but never runs as written.
func checkCronSchedule(s string) error {
	if isTemplated(s) {
		return nil
	}
	body := strings.TrimSpace(s)
	// A time zone may come first (CRON_TZ=... or TZ=...), as the cron
	// library reads it.
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		if i := strings.IndexAny(body, " \t"); i > 0 {
			body = strings.TrimSpace(body[i:])
		}
	}
	if d, ok := strings.CutPrefix(body, "@every "); ok {
		// The cron library runs an interval under a second, zero or
		// negative included, every second.
		if iv, err := time.ParseDuration(strings.TrimSpace(d)); err == nil && iv < time.Second {
			return errors.New("an @every interval must be at least 1s")
		}
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		return err
	}
	// Next gives up after five years: a day that never comes (30 February).
	if sched.Next(time.Now()).IsZero() {
		return errors.New("it never fires (no such date)")
	}
	return nil
}

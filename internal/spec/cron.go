package spec

import "github.com/robfig/cron/v3"

// checkCronSchedule accepts the syntax Argo accepts: five fields, the
// @hourly-style descriptors and an optional CRON_TZ= prefix.
func checkCronSchedule(s string) error {
	if isTemplated(s) {
		return nil
	}
	_, err := cron.ParseStandard(s)
	return err
}

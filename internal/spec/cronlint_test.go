package spec

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

const cronHeader = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: c}
spec:
`

// Schedules that parse but do not run as written are lint errors: an
// interval under a second (the cron library runs it every second) and a
// date that never comes.
func TestLintCronSchedulesThatNeverRunAsWritten(t *testing.T) {
	for sched, bad := range map[string]string{
		"@every 0s":                "at least 1s",
		"@every -1s":               "at least 1s",
		"@every 10ms":              "at least 1s",
		"CRON_TZ=UTC @every 100ms": "at least 1s",
		"TZ=UTC  @every 0s":        "at least 1s",
		"CRON_TZ=UTC 0 0 30 2 *":   "never fires",
		"CRON_TZ=UTC @every 5s":    "",
		"0 0 30 2 *":               "never fires",
		"@every 2s":                "",
		"*/5 * * * *":              "",
	} {
		ds := lintString(t, cronHeader+`  schedule: "`+sched+`"
  workflowSpec:
    entrypoint: main
    templates:
    - {name: main, container: {image: alpine, command: ["true"]}}
`)
		var msg string
		for _, d := range ds {
			if d.Severity == SeverityError && d.Path == "spec.schedule" {
				msg = d.Message
			}
		}
		if (bad == "") != (msg == "") || !strings.Contains(msg, bad) {
			t.Errorf("%q: error %q, want one saying %q", sched, msg, bad)
		}
	}
}

// Reading a CronWorkflow and writing it back (as `cron get -o yaml |
// apply` does) leaves its schedules as they were: they used to gain a
// copy of schedule at every save.
func TestCronSchedulesSurviveASaveUnchanged(t *testing.T) {
	src := cronHeader + `  schedule: "0 1 * * *"
  schedules: ["0 2 * * *"]
  workflowSpec:
    entrypoint: main
    templates:
    - {name: main, container: {image: alpine, command: ["true"]}}
`
	for range 3 {
		f := Parse("c.yaml", []byte(src), Options{})
		if len(f.Docs) != 1 || f.Docs[0].Cron == nil {
			t.Fatalf("parsed %d documents", len(f.Docs))
		}
		c := f.Docs[0].Cron
		if got := c.Spec.AllSchedules(); !slices.Equal(got, []string{"0 1 * * *", "0 2 * * *"}) {
			t.Fatalf("schedules %v after a save", got)
		}
		if !slices.Equal(c.Spec.Schedules, []string{"0 2 * * *"}) {
			t.Fatalf("spec.schedules %v, want it as written", c.Spec.Schedules)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		src = string(b)
	}
}

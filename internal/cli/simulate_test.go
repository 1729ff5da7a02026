package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/sim"
)

const simLoad = `
seed: 7
locks: {db: 2, deploy: 1}
workflows:
- kind: etl
  count: 4
  every: 30s
  steps:
  - {locks: [db], hold: 1m}
- kind: release
  at: [5s, 10s]
  locks: [deploy]
  steps:
  - {locks: [db], hold: 2m}
`

func simulateText(t *testing.T, set string, rec *sim.Recording) string {
	t.Helper()
	sc, err := sim.ParseLoad("load.yaml", []byte(simLoad))
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	if set != "" {
		if err := applyChanges(&sc, &simulateOptions{sets: []string{set}}); err != nil {
			t.Fatal(err)
		}
		changes = []string{"--set " + set}
	}
	res, err := sim.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeSimReport(&b, simReport("load.yaml", changes, res, rec)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// With a limit of 0 nothing can finish: the report says why, and claims
// no time by which everything was done.
func TestSimulateSaysWhyItNeverFinishes(t *testing.T) {
	rec := &sim.Recording{Done: 125e9}
	got := simulateText(t, "db=0", rec)
	for _, want := range []string{"never finish", "lock db has limit 0", "5 workflows wait for it",
		"lock deploy (limit 1) is held by release-1, which never finishes"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"Everything done", "%)", "-100.0%"} {
		if strings.Contains(got, bad) {
			t.Errorf("report says %q:\n%s", bad, got)
		}
	}
}

// Part of the load finishing: the time is of what finished, not of
// "everything".
func TestSimulateSaysWhatFinished(t *testing.T) {
	got := simulateText(t, "deploy=0", nil)
	for _, want := range []string{"The 4 workflows that finish are done 2m30s after the first arrival", "2 never finish",
		"lock deploy has limit 0"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Everything done") {
		t.Errorf("report says everything was done:\n%s", got)
	}
}

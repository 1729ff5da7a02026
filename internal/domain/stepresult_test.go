package domain

import (
	"encoding/json"
	"testing"
	"time"
)

// result.json is read by engines of other versions: the JSON names must
// not change.
func TestStepResultJSON(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	r := StepResult{ExitCode: 2, Stdout: "out", Truncated: true, Outputs: map[string]string{"o": "1"},
		Missing: map[string]string{"m": "absent"}, StartError: "e", Killed: "k", Started: at, Finished: at}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"exitCode":2,"stdout":"out","truncated":true,"outputs":{"o":"1"},"missing":{"m":"absent"},` +
		`"startError":"e","killed":"k","started":"2024-05-01T12:00:00Z","finished":"2024-05-01T12:00:00Z"}`
	if string(b) != want {
		t.Errorf("result.json is\n%s\nwant\n%s", b, want)
	}
	b, _ = json.Marshal(StepResult{Started: at, Finished: at})
	if string(b) != `{"exitCode":0,"started":"2024-05-01T12:00:00Z","finished":"2024-05-01T12:00:00Z"}` {
		t.Errorf("empty result is %s", b)
	}
}

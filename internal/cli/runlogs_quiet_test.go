package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

type fixedLogs map[string]string

func (f fixedLogs) LogPaths(context.Context, string) (map[string]string, error) { return f, nil }

// A failed step that wrote nothing has no log file (it is made at the
// first byte): run says it wrote nothing, not that its log is unreadable.
func TestFailedStepThatWroteNothing(t *testing.T) {
	wf := &wfv1.Workflow{}
	wf.Metadata.Name, wf.Metadata.UID = "wf", "u"
	wf.Status.Nodes = map[string]wfv1.NodeStatus{"n": {ID: "n", Name: "wf.boom", DisplayName: "boom", Type: "Pod", Phase: wfv1.PhaseFailed}}
	var out bytes.Buffer
	writeFailedLogs(context.Background(), &out, fixedLogs{"n": filepath.Join(t.TempDir(), "log")}, wf)
	if !strings.Contains(out.String(), "wf/boom failed and wrote nothing") {
		t.Errorf("printed %q, want that the step wrote nothing", out.String())
	}
}

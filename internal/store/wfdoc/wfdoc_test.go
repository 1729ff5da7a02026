package wfdoc

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Both stored layouts list as the same workflow: documents written since
// the status has its own column (spliced by concatenation), and older
// ones that still carry a status inside (spliced by decoding).
func TestSpliceStatusBothLayouts(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	wf := &wfv1.Workflow{
		TypeMeta: wfv1.TypeMeta{Kind: wfv1.KindWorkflow, APIVersion: "argoproj.io/v1alpha1"},
		Metadata: wfv1.ObjectMeta{Name: "w", Namespace: "default", UID: "u1", Labels: map[string]string{"status": "x"}},
		Spec:     wfv1.WorkflowSpec{Entrypoint: "main"},
		Status:   wfv1.WorkflowStatus{Phase: wfv1.PhasePending, Message: "Waiting for default/ConfigMap/limits/sem", StartedAt: &now},
	}
	doc, status, err := Split(wf)
	if err != nil {
		t.Fatal(err)
	}
	stale := *wf
	stale.Status = wfv1.WorkflowStatus{Phase: "Running", Message: "an older status"}
	legacy, err := json.Marshal(&stale)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string][]byte{"split": doc, "legacy": legacy} {
		raw, err := Splice(d, status)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got wfv1.Workflow
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: spliced JSON does not decode: %v\n%s", name, err, raw)
		}
		if !reflect.DeepEqual(&got, wf) {
			t.Errorf("%s: spliced workflow differs\n got %+v\nwant %+v", name, got, *wf)
		}
	}
}

package engine

import (
	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/jsoncopy"
)

// deepCopy is a copy of wf that shares no pointer, slice or map with it:
// the run mutates its workflow, and callers submit the same parsed
// manifest several times. It is exactly the JSON round trip it replaced
// (jsoncopy.Copy), nil where JSON leaves nil: the store keeps the
// workflow as JSON, and a run must see the same workflow before a
// restart as after ({{workflow.parameters}} of `parameters: []` is null
// either way). The walk costs a fraction of the encoding.
func deepCopy(wf *wfv1.Workflow) (*wfv1.Workflow, error) {
	c, err := jsoncopy.Copy(wf)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

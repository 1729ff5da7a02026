package engine

import (
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's controller owns these labels and rewrites them at every phase
// change; Argo's tools select on them (argo list --status) and trust
// them, so a value a user submitted must never stand.
const (
	LabelPhase     = "workflows.argoproj.io/phase"
	LabelCompleted = "workflows.argoproj.io/completed"
)

// syncPhaseLabels sets wf's phase and completed labels from its phase and
// says whether they changed (then its metadata must be written again).
func syncPhaseLabels(wf *wfv1.Workflow) bool {
	p := wf.Status.Phase
	completed := strconv.FormatBool(p == wfv1.PhaseSucceeded || p == wfv1.PhaseFailed || p == wfv1.PhaseError)
	l := wf.Metadata.Labels
	if phase, ok := l[LabelPhase]; (p == "" && !ok || p != "" && phase == p) && l[LabelCompleted] == completed {
		return false
	}
	if l == nil {
		l = map[string]string{}
		wf.Metadata.Labels = l
	}
	if p == "" {
		delete(l, LabelPhase)
	} else {
		l[LabelPhase] = p
	}
	l[LabelCompleted] = completed
	return true
}

// LabelNode names the node that runs an unfinished workflow, on a store
// shared by several nodes: the engine writes it when a node starts or
// adopts the workflow (a submitted value never stands), and requests for
// the workflow that need its node (logs, stop, suspend) go there.
const LabelNode = "semaflow.dev/node"

// syncNodeLabel makes LabelNode name node ("": no label).
func syncNodeLabel(wf *wfv1.Workflow, node string) {
	if node == "" {
		delete(wf.Metadata.Labels, LabelNode)
		return
	}
	if wf.Metadata.Labels == nil {
		wf.Metadata.Labels = map[string]string{}
	}
	wf.Metadata.Labels[LabelNode] = node
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/artifacts/repos"
	"github.com/semaflow/semaflow/internal/store"
)

// Artifact GC as Argo does it: each output artifact's strategy is its own
// artifactGC.strategy, else the workflow's spec.artifactGC.strategy, else
// Never. OnWorkflowCompletion artifacts are deleted from their repository
// when the workflow ends; OnWorkflowDeletion ones (and completion ones not
// yet deleted) when it is deleted. A deleted artifact is marked deleted in
// its node's outputs. A failure is reported on the workflow as Argo's
// ArtifactGCError condition, and a deletion whose GC failed keeps the
// workflow (Argo's finalizer) unless spec.artifactGC.forceFinalizerRemoval
// is set or the failure was already reported by an earlier deletion: that
// second delete is the operator removing the finalizer by hand.

// Argo's names.
const (
	GCOnCompletion = "OnWorkflowCompletion"
	GCOnDeletion   = "OnWorkflowDeletion"
	GCNever        = "Never"
	// ConditionArtifactGCError is the condition a failed deletion sets.
	ConditionArtifactGCError = "ArtifactGCError"
)

// Bounds of one workflow's GC: every deletion shares gcTimeout (each S3
// request is bounded too, see s3repo: about 63 s for an endpoint that
// accepts and never answers, after which its other artifacts are not
// tried in that pass), and at most gcMaxArtifacts are deleted per pass.
const (
	gcTimeout      = 2 * time.Minute
	gcMaxArtifacts = 10000
)

// gcStrategy is a's strategy in wf (produced by template tmpl, if known).
func gcStrategy(wf *wfv1.Workflow, a *wfv1.Artifact, tmpl *wfv1.Artifact) string {
	if a.ArtifactGC != nil && a.ArtifactGC.Strategy != "" {
		return a.ArtifactGC.Strategy
	}
	if tmpl != nil && tmpl.ArtifactGC != nil && tmpl.ArtifactGC.Strategy != "" {
		return tmpl.ArtifactGC.Strategy
	}
	g := wf.Spec.ArtifactGC
	if g == nil && wf.Status.StoredWorkflowTemplateSpec != nil {
		g = wf.Status.StoredWorkflowTemplateSpec.ArtifactGC
	}
	if g != nil && g.Strategy != "" {
		return g.Strategy
	}
	return GCNever
}

// templateArtifact is output artifact name of the template that made
// node n, from the workflow's templates or its stored ones.
func templateArtifact(wf *wfv1.Workflow, n *wfv1.NodeStatus, name string) *wfv1.Artifact {
	find := func(ts []wfv1.Template) *wfv1.Artifact {
		for i := range ts {
			if ts[i].Name != n.TemplateName {
				continue
			}
			for j := range ts[i].Outputs.Artifacts {
				if ts[i].Outputs.Artifacts[j].Name == name {
					return &ts[i].Outputs.Artifacts[j]
				}
			}
		}
		return nil
	}
	if n.TemplateName == "" {
		return nil
	}
	if a := find(wf.Spec.Templates); a != nil {
		return a
	}
	if s := wf.Status.StoredWorkflowTemplateSpec; s != nil {
		if a := find(s.Templates); a != nil {
			return a
		}
	}
	for _, t := range wf.Status.StoredTemplates {
		if t.Name == n.TemplateName {
			return find([]wfv1.Template{t})
		}
	}
	return nil
}

// collectArtifacts deletes wf's stored output artifacts whose strategy
// is in strategies, marks them deleted, and returns the IDs of the nodes
// it changed and a message per failure (nil when all went).
func (e *Engine) collectArtifacts(ctx context.Context, wf *wfv1.Workflow, strategies ...string) (changed, failures []string) {
	want := map[string]bool{}
	for _, s := range strategies {
		want[s] = true
	}
	ctx, cancel := context.WithTimeout(ctx, gcTimeout)
	defer cancel()
	ids := make([]string, 0, len(wf.Status.Nodes))
	for id := range wf.Status.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a stable order for messages and tests
	done := 0
	// A repository that did not answer one deletion is not asked for
	// the rest in this pass: a frozen endpoint costs one request's
	// retries, not one per artifact.
	unreachable := map[artifacts.Driver]error{}
	for _, id := range ids {
		n := wf.Status.Nodes[id]
		if n.Outputs == nil {
			continue
		}
		touched := false
		for i := range n.Outputs.Artifacts {
			a := &n.Outputs.Artifacts[i]
			if a.Deleted || a.S3 == nil || a.S3.Key == "" {
				continue
			}
			if !want[gcStrategy(wf, a, templateArtifact(wf, &n, a.Name))] {
				continue
			}
			if done++; done > gcMaxArtifacts {
				failures = append(failures, fmt.Sprintf("over %d artifacts to delete: the rest are kept", gcMaxArtifacts))
				break
			}
			d, key, loc, err := e.openArtifact(wf, a.S3)
			if err == nil {
				if why, ok := unreachable[d]; ok {
					err = fmt.Errorf("not attempted: %w", why)
				} else if err = showKey(d.Delete(ctx, key), key, a.S3.Key); unanswered(err) {
					unreachable[d] = err
				}
			}
			if err != nil {
				where := "its repository"
				if loc != nil {
					where = repos.Describe(loc)
				}
				failures = append(failures, fmt.Sprintf("deleting artifact %q of node %s from %s: %v", a.Name, n.Name, where, err))
				continue
			}
			a.Deleted = true
			touched = true
		}
		if touched {
			wf.Status.Nodes[id] = n
			changed = append(changed, id)
		}
	}
	if len(failures) > 0 {
		upsertCondition(wf, ConditionArtifactGCError, "Artifact garbage collection failed: "+strings.Join(failures, "; "))
	}
	return changed, failures
}

// upsertCondition replaces wf's condition of type typ, as Argo's
// UpsertCondition does.
func upsertCondition(wf *wfv1.Workflow, typ, msg string) {
	c := wfv1.Condition{Type: typ, Status: "True", Message: msg}
	for i := range wf.Status.Conditions {
		if wf.Status.Conditions[i].Type == typ {
			wf.Status.Conditions[i] = c
			return
		}
	}
	wf.Status.Conditions = append(wf.Status.Conditions, c)
}

// hasCondition says whether wf carries a condition of type typ.
func hasCondition(wf *wfv1.Workflow, typ string) bool {
	for _, c := range wf.Status.Conditions {
		if c.Type == typ {
			return true
		}
	}
	return false
}

// hasDeletionGC says whether deleting wf must delete artifacts first.
func hasDeletionGC(wf *wfv1.Workflow) bool {
	for id := range wf.Status.Nodes {
		n := wf.Status.Nodes[id]
		if n.Outputs == nil {
			continue
		}
		for i := range n.Outputs.Artifacts {
			a := &n.Outputs.Artifacts[i]
			if a.Deleted || a.S3 == nil || a.S3.Key == "" {
				continue
			}
			if s := gcStrategy(wf, a, templateArtifact(wf, &n, a.Name)); s == GCOnDeletion || s == GCOnCompletion {
				return true
			}
		}
	}
	return false
}

// gcOnDelete runs the deletion GC of wf before it is deleted. An error
// means wf must be kept: the failure is then recorded on it.
func (e *Engine) gcOnDelete(ctx context.Context, wf *wfv1.Workflow) error {
	if !hasDeletionGC(wf) {
		return nil
	}
	reported := hasCondition(wf, ConditionArtifactGCError)
	_, failures := e.collectArtifacts(ctx, wf, GCOnCompletion, GCOnDeletion)
	if len(failures) == 0 {
		return nil
	}
	force := wf.Spec.ArtifactGC != nil && wf.Spec.ArtifactGC.ForceFinalizerRemoval
	if force || reported {
		e.log.Warn("deleting a workflow whose artifacts could not all be deleted", "workflow", wf.Metadata.Namespace+"/"+wf.Metadata.Name, "failures", strings.Join(failures, "; "))
		return nil
	}
	err := e.store.Update(ctx, func(tx store.Tx) error { return tx.PutStatus(ctx, wf) })
	if err == nil {
		e.hub.publish(Modified, wf)
	}
	return fmt.Errorf("%w: %s; the workflow is kept with condition %s (as Argo's finalizer keeps it): delete it again to delete it anyway, "+
		"or set spec.artifactGC.forceFinalizerRemoval", ErrArtifactGC, strings.Join(failures, "; "), ConditionArtifactGCError)
}

// ErrArtifactGC says a workflow's artifacts could not all be deleted.
var ErrArtifactGC = errors.New("artifact garbage collection failed")

// unanswered says err is a repository not answering (a timeout, a
// refused or reset connection, a cancelled context) rather than an
// answer about one object.
func unanswered(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

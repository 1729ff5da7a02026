package reconcile

import (
	"errors"
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/spec"
)

// DataJob is a data template's work, resolved at launch: the artifact
// whose stored files are listed (the engine lists it in its repository)
// and the transformations run over the list, in order.
type DataJob struct {
	Source      wfv1.Artifact
	Expressions []string
}

// executeData plans a data template as Argo runs it, as a pod: the engine
// does the work (no step process), under the same locks, deadline,
// parallelism, retries and memoization as any pod.
func (o *op) executeData(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope, c call) {
	if _, err := spec.ParseDataTemplate(tmpl.Data); err != nil {
		// Every attempt would be refused the same way: not retried.
		o.markUnrunnable(node)
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
		return
	}
	o.executePod(node, tmpl, scope, c)
}

// dataJob resolves a data template's source in resolved (the template
// with its placeholders substituted, so a from is already the JSON of the
// artifact it names) and scope (for fromExpression), as an input
// artifact's is resolved.
func dataJob(resolved *wfv1.Template, scope expr.Scope) (*DataJob, error) {
	d, err := spec.ParseDataTemplate(resolved.Data)
	if err != nil {
		return nil, err
	}
	src := d.ArtifactPaths
	var ref, what string
	switch {
	case src.FromExpression != "":
		what = "data.source.artifactPaths.fromExpression"
		if ref, err = expr.Eval(src.FromExpression, scope); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	case src.From != "":
		what, ref = "data.source.artifactPaths.from", src.From
	}
	if what != "" {
		a, err := artifactRef(what, ref)
		if err != nil {
			return nil, err
		}
		src.ArtifactLocation = a.ArtifactLocation
		src.ArtifactLocation.ArchiveLogs = nil
		if src.SubPath == "" {
			src.SubPath = a.SubPath
		}
	}
	src.From, src.FromExpression = "", ""
	if !hasLocation(src.ArtifactLocation) {
		return nil, errors.New("data.source.artifactPaths names no artifact to list: give from, fromExpression or s3.key")
	}
	return &DataJob{Source: src, Expressions: d.Expressions}, nil
}

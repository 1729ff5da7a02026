package reconcile

import (
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// An optional input artifact that nobody supplied is absent. Argo keeps it
// in scope as an artifact without a location, so a template can pass it on
// with `from: "{{inputs.artifacts.NAME}}"` to a step whose own input is
// optional; a required input fails as not supplied.

// markAbsentInputArtifacts notes in scope the template's optional input
// artifacts that have no location.
func markAbsentInputArtifacts(scope expr.Scope, arts []wfv1.Artifact) {
	for _, a := range arts {
		if a.Optional && !hasLocation(a.ArtifactLocation) {
			scope[absentKey("inputs.artifacts."+a.Name)] = "true"
		}
	}
}

// markAbsentArtifactArgs returns args with each artifact whose from is
// exactly one reference to an absent artifact given absentArg as its from.
func markAbsentArtifactArgs(args wfv1.Arguments, scope expr.Scope) wfv1.Arguments {
	var marked []wfv1.Artifact
	for i, a := range args.Artifacts {
		if a.From == "" || !isAbsentRef(a.From, scope) {
			continue
		}
		if marked == nil {
			marked = append([]wfv1.Artifact(nil), args.Artifacts...)
		}
		marked[i].From = absentArg
	}
	if marked != nil {
		args.Artifacts = marked
	}
	return args
}

// checkAbsentArtifactArgs fails when an absent artifact is passed to an
// input that needs one, with Argo's message.
func checkAbsentArtifactArgs(t *wfv1.Template, args wfv1.Arguments) error {
	for _, in := range t.Inputs.Artifacts {
		for _, a := range args.Artifacts {
			if a.Name == in.Name && a.From == absentArg && !in.Optional && !hasLocation(in.ArtifactLocation) {
				return fmt.Errorf("inputs.artifacts.%s was not supplied", in.Name)
			}
		}
	}
	return nil
}

func hasLocation(l wfv1.ArtifactLocation) bool {
	return l.S3 != nil || l.Raw != nil || l.Git != nil || l.HTTP != nil || l.Artifactory != nil ||
		l.HDFS != nil || l.OSS != nil || l.GCS != nil || l.Azure != nil || l.Plugin != nil
}

package spec

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
)

// logsArtifact is the output artifact Argo records a step's archived
// log under.
const logsArtifact = "main-logs"

// ArtifactProblem is an artifact field of a template that semaflow would
// not act on as written: the artifact would be stored somewhere else,
// in another form, or lost. Field is relative to the template.
type ArtifactProblem struct {
	Field   string
	Message string
}

func (p ArtifactProblem) Error() string { return p.Field + ": " + p.Message }

// gcStrategies are Argo's artifact GC strategies ("" is the default).
var gcStrategies = []string{"OnWorkflowCompletion", "OnWorkflowDeletion", "Never"}

// StoreProblems lists the fields of t's outputs (and archiveLocation)
// that would send an artifact elsewhere than the manifest says, or lose
// one: lint reports each as an error, and the engine refuses to start a
// step that has any (a run with lint bypassed must not store an
// artifact in the wrong place and succeed). logsArchived says whether
// the step's log is archived as main-logs.
func StoreProblems(t *wfv1.Template, logsArchived bool) []ArtifactProblem {
	var out []ArtifactProblem
	add := func(field, format string, args ...any) {
		out = append(out, ArtifactProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if l := t.ArchiveLocation; l != nil {
		a := wfv1.Artifact{ArtifactLocation: *l}
		if src := artifactSource(&a); src != "" {
			add("archiveLocation."+src, "a template's own archive location is not supported by semaflow: its logs and artifacts "+
				"would be stored in the workflow's artifact repository, not in %s; choose the repository with artifactRepositoryRef", src)
		}
	}
	for i := range t.Outputs.Artifacts {
		a := &t.Outputs.Artifacts[i]
		p := fmt.Sprintf("outputs.artifacts[%d]", i)
		if src := artifactSource(a); src != "" && src != "s3" && src != "from" {
			add(p+"."+src, "output artifacts are not stored in %s by semaflow: %q would be stored in the artifact repository instead; "+
				"store it in s3 (or give no location for the workflow's repository)", src, a.Name)
		}
		kinds := make([]string, 0, len(a.Archive))
		for k := range a.Archive {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			if k != "none" && k != "tar" {
				add(p+".archive."+k, "archive %s is not supported by semaflow: %q would be stored as a gzipped tar; use tar or none", k, a.Name)
			}
		}
		if a.ArtifactGC != nil {
			if err := checkGCStrategy(a.ArtifactGC.Strategy); err != nil {
				add(p+".artifactGC.strategy", "%v", err)
			}
		}
		if a.Name == logsArtifact && logsArchived {
			add(p+".name", "output artifact %q clashes with the step's archived log, which Argo records under that name; rename it", a.Name)
		}
	}
	for _, list := range []struct {
		field string
		arts  []wfv1.Artifact
	}{{"outputs.artifacts", t.Outputs.Artifacts}, {"inputs.artifacts", t.Inputs.Artifacts}} {
		seen := map[string]int{}
		for i, a := range list.arts {
			if j, ok := seen[a.Name]; ok && a.Name != "" {
				add(fmt.Sprintf("%s[%d].name", list.field, i), "artifact %q is declared twice (also %s[%d]): one would replace the other", a.Name, list.field, j)
				continue
			}
			seen[a.Name] = i
		}
	}
	return out
}

func checkGCStrategy(s string) error {
	if s == "" {
		return nil
	}
	for _, ok := range gcStrategies {
		if s == ok {
			return nil
		}
	}
	return fmt.Errorf("unknown artifact GC strategy %s: want OnWorkflowCompletion, OnWorkflowDeletion or Never", strconv.Quote(s))
}

package reconcile

import (
	"encoding/json"
	"fmt"
	"path"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/expr"
)

// Artifacts travel through scope as JSON: a node's output artifact is
// its recorded location (`steps.X.outputs.artifacts.Y`), and a bound
// input its whole resolved artifact (`inputs.artifacts.Y`). `from`
// substitutes that JSON, and fromExpression evaluates to it; either is
// then read back as an artifact. Keys follow Argo's default key format,
// {{workflow.name}}/{{pod.name}}, with NAME.tgz for an archived artifact
// and the path's base name for archive none.

// LogsArtifact is the output artifact archiveLogs records, as Argo's.
const LogsArtifact = "main-logs"

func artifactJSON(a wfv1.Artifact) string {
	b, err := json.Marshal(a)
	if err != nil {
		return ""
	}
	return string(b)
}

// artifactRef reads back what a from or fromExpression resolved to.
func artifactRef(what, s string) (wfv1.Artifact, error) {
	var a wfv1.Artifact
	if err := json.Unmarshal([]byte(s), &a); err != nil || !hasLocation(a.ArtifactLocation) {
		return a, fmt.Errorf("%s %q does not name an artifact", what, truncateRef(s))
	}
	return a, nil
}

func truncateRef(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// resolveArtifactExpressions turns each fromExpression of args into the
// from it evaluates to in scope, the caller's.
func resolveArtifactExpressions(args wfv1.Arguments, scope expr.Scope) (wfv1.Arguments, error) {
	var out []wfv1.Artifact
	for i, a := range args.Artifacts {
		if a.FromExpression == "" {
			continue
		}
		v, err := expr.Eval(a.FromExpression, scope)
		if err != nil {
			return args, fmt.Errorf("artifact %q: fromExpression: %w", a.Name, err)
		}
		if out == nil {
			out = append([]wfv1.Artifact(nil), args.Artifacts...)
		}
		out[i].From, out[i].FromExpression = v, ""
	}
	if out != nil {
		args.Artifacts = out
	}
	return args, nil
}

// bindInputArtifact resolves the template's input in with its caller's
// arguments: the argument's from or location wins over the template's
// own; ok is false for an optional input that nothing supplies.
func bindInputArtifact(tmpl string, in wfv1.Artifact, args []wfv1.Artifact) (wfv1.Artifact, bool, error) {
	out := in
	for _, a := range args {
		if a.Name != in.Name || a.From == absentArg {
			continue
		}
		switch {
		case a.From != "":
			ref, err := artifactRef("from", a.From)
			if err != nil {
				return out, false, fmt.Errorf("inputs.artifacts.%s: %w", in.Name, err)
			}
			out.ArtifactLocation = ref.ArtifactLocation
			out.ArtifactLocation.ArchiveLogs = nil
			if ref.SubPath != "" && a.SubPath == "" {
				out.SubPath = ref.SubPath
			}
		case hasLocation(a.ArtifactLocation):
			out.ArtifactLocation = a.ArtifactLocation
		}
		if a.SubPath != "" {
			out.SubPath = a.SubPath
		}
	}
	out.From, out.FromExpression = "", ""
	if !hasLocation(out.ArtifactLocation) {
		if in.Optional {
			return out, false, nil
		}
		return out, false, fmt.Errorf("template %q: inputs.artifacts.%s was not supplied", tmpl, in.Name)
	}
	return out, true, nil
}

// boundInputArtifacts replaces a resolved template's input artifacts by
// those bound in scope, with their placeholders substituted.
func boundInputArtifacts(arts []wfv1.Artifact, scope expr.Scope) ([]wfv1.Artifact, error) {
	out := make([]wfv1.Artifact, 0, len(arts))
	for _, a := range arts {
		s, ok := scope["inputs.artifacts."+a.Name]
		if !ok {
			out = append(out, a)
			continue
		}
		b, err := artifactRef("inputs.artifacts."+a.Name, s)
		if err != nil {
			return nil, err
		}
		if b, err = substitute(b, scope); err != nil {
			return nil, fmt.Errorf("inputs.artifacts.%s: %w", a.Name, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func unarchived(a *wfv1.Artifact) bool {
	_, none := a.Archive["none"]
	return none
}

// outputKeys gives each output artifact of a step with no key of its own
// Argo's default key.
func outputKeys(wf, pod string, arts []wfv1.Artifact) {
	for i := range arts {
		a := &arts[i]
		if a.S3 != nil && a.S3.Key != "" {
			continue
		}
		file := a.Name + ".tgz"
		if unarchived(a) {
			file = path.Base(path.Clean("/" + a.Path))
			if file == "/" {
				file = a.Name
			}
		}
		if a.S3 == nil {
			a.S3 = &wfv1.S3Artifact{}
		}
		a.S3.Key = wf + "/" + pod + "/" + file
	}
}

// archiveLogs says whether a step of tmpl keeps its log: the template's
// archiveLocation decides, then the workflow's spec.
func (o *op) archiveLogs(tmpl *wfv1.Template) bool {
	if l := tmpl.ArchiveLocation; l != nil && l.ArchiveLogs != nil {
		return *l.ArchiveLogs
	}
	return o.spec.ArchiveLogs != nil && *o.spec.ArchiveLogs
}

// podArtifacts is a finished step's output artifacts as its node records
// them: those the engine stored, with their keys.
func podArtifacts(saved []domain.StepArtifact) []wfv1.Artifact {
	var out []wfv1.Artifact
	for _, s := range saved {
		if !s.Stored {
			continue
		}
		loc := &wfv1.S3Artifact{}
		if len(s.Location) > 0 && json.Unmarshal(s.Location, loc) != nil {
			loc = &wfv1.S3Artifact{} // not the engine's writing: the key alone
		}
		loc.Key = s.Key
		a := wfv1.Artifact{Name: s.Name, Path: s.Path, ArtifactLocation: wfv1.ArtifactLocation{S3: loc}}
		if s.Unarchived && s.Name != LogsArtifact {
			a.Archive = wfv1.Object{"none": map[string]any{}}
		}
		out = append(out, a)
	}
	return out
}

// templateArtifacts evaluates a steps or DAG template's output
// artifacts: each is the artifact its from or fromExpression names.
func templateArtifacts(tmpl *wfv1.Template, scope expr.Scope) ([]wfv1.Artifact, error) {
	var out []wfv1.Artifact
	for _, a := range tmpl.Outputs.Artifacts {
		var v string
		var err error
		switch {
		case a.FromExpression != "":
			v, err = expr.Eval(a.FromExpression, scope)
		case a.From != "":
			v, err = expr.Replace(a.From, scope, true)
		default:
			continue
		}
		var ref wfv1.Artifact
		if err == nil {
			ref, err = artifactRef("from", v)
		}
		if err != nil {
			if a.Optional {
				continue
			}
			return nil, fmt.Errorf("outputs.artifacts.%s: %w", a.Name, err)
		}
		r := wfv1.Artifact{Name: a.Name, Path: ref.Path, Archive: ref.Archive, GlobalName: a.GlobalName, ArtifactLocation: ref.ArtifactLocation}
		out = append(out, r)
	}
	return out, nil
}

package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// DataTemplate is a `data` template as Argo reads it: the artifact whose
// file paths are the source (source.artifactPaths, its only source), and
// the expressions of its transformation, run in order.
type DataTemplate struct {
	ArtifactPaths wfv1.Artifact
	Expressions   []string
}

// ParseDataTemplate reads a template's `data`; errors name the field.
func ParseDataTemplate(obj wfv1.Object) (*DataTemplate, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	var raw struct {
		Source struct {
			ArtifactPaths *wfv1.Artifact `json:"artifactPaths"`
		} `json:"source"`
		Transformation []struct {
			Expression string `json:"expression"`
		} `json:"transformation"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if raw.Source.ArtifactPaths == nil {
		return nil, errors.New("data.source.artifactPaths is required: it is the data template's only source, as in Argo")
	}
	d := &DataTemplate{ArtifactPaths: *raw.Source.ArtifactPaths}
	for i, step := range raw.Transformation {
		if strings.TrimSpace(step.Expression) == "" {
			return nil, fmt.Errorf("data.transformation[%d] has no expression (the only kind of step Argo has)", i)
		}
		d.Expressions = append(d.Expressions, step.Expression)
	}
	return d, nil
}

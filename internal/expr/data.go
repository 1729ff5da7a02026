package expr

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MaxDataTransformations bounds the transformations of one data
// template: each one is a full evaluation over the whole data.
const MaxDataTransformations = 100

// DataTransform runs a data template's transformations over its source
// (for artifactPaths, the list of the artifact's file paths), as Argo's
// executor does: each expression sees the value the one before it gave
// as `data`, and the node's outputs.result is the last value as JSON.
// Every evaluation is bounded as any expression is (bound.go). Errors
// name the transformation by its place (from 1) and its expression.
func DataTransform(source any, expressions []string) (string, error) {
	if len(expressions) > MaxDataTransformations {
		return "", fmt.Errorf("data template: %d transformations, at most %d are run", len(expressions), MaxDataTransformations)
	}
	data := source
	for i, code := range expressions {
		if strings.TrimSpace(code) == "" {
			return "", fmt.Errorf("data template: transformation %d has no expression", i+1)
		}
		out, err := runEnv(code, map[string]any{"data": data})
		if err != nil {
			return "", fmt.Errorf("data template: transformation %d: %w", i+1, err)
		}
		data = out
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("data template: the result is not JSON: %w", err)
	}
	if len(b) > MaxValueBytes {
		return "", fmt.Errorf("data template: %w", &LimitError{What: "the result", Size: float64(len(b)), Limit: MaxValueBytes})
	}
	return string(b), nil
}

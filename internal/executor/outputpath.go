package executor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// errLeavesWorkDir refuses a relative output path that climbs out of the
// step's working directory: above the engine's working directory lie the
// step's own records, other steps' directories and the data directory,
// none of which the step may read.
var errLeavesWorkDir = errors.New("a relative output path must stay in the step's working directory (write it there, or give an absolute path)")

// outputPath is where an output file is as the step sees it. A relative
// path is relative to the step's working directory, as in Argo's
// container, never to the supervisor's: resolved there, it is read with
// the same confinement as an absolute path.
func (v stepView) outputPath(spec *Spec, path string) (string, error) {
	if filepath.IsAbs(path) {
		if p, ok := v.inImageWorkDir(spec, path); ok {
			return p, nil
		}
		return path, nil
	}
	rel := filepath.Clean(path)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", &os.PathError{Op: "open", Path: path, Err: errLeavesWorkDir}
	}
	cwd := v.workPath
	if spec.WorkingDir != "" {
		cwd = spec.WorkingDir
	}
	if !filepath.IsAbs(cwd) {
		return "", &os.PathError{Op: "open", Path: path, Err: errors.New("the step's working directory " + cwd + " is not an absolute path")}
	}
	return filepath.Join(cwd, rel), nil
}

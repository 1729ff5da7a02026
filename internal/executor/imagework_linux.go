package executor

import (
	"errors"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// A container runs in its image's working directory (python:alpine's is
// /), so Argo's examples write `result.txt` and declare `/result.txt`.
// A step here runs in a working directory of its own instead, never in
// the host's /: that directory stands for the image's when the template
// names no workingDir. An output the template declares at an absolute
// path in the image's working directory, that the step did not leave at
// the path itself (in its root or /tmp), is read where a write by the
// relative name went: the step's working directory, at the same relative
// path. The step's view is unchanged, so an absolute write still lands
// where it did and wins.

// inImageWorkDir is where the step left the absolute output path, when
// its working directory stands for its image's and it left it there.
func (v stepView) inImageWorkDir(spec *Spec, path string) (string, bool) {
	d := spec.ImageWorkDir
	if spec.WorkingDir != "" || d == "" || !filepath.IsAbs(d) || v.workPath == "" {
		return "", false
	}
	p := filepath.Clean(path)
	rel, ok := stepinit.Under(p, filepath.Clean(d))
	if !ok || rel == "." || !filepath.IsLocal(rel) {
		return "", false
	}
	if !v.absent(p) {
		return "", false
	}
	alt := filepath.Join(v.workPath, rel)
	if v.absent(alt) {
		return "", false
	}
	return alt, true
}

// absent says whether nothing is at path as the step sees it; an error
// other than "no such file" counts as something (it is reported when
// the output is read).
func (v stepView) absent(path string) bool {
	fd, err := v.openConfined(path)
	if err == nil {
		_ = unix.Close(fd)
		return false
	}
	return errors.Is(err, syscall.ENOENT)
}

package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrPathEscape means a step directory would lie outside the data
// directory.
var ErrPathEscape = errors.New("path escapes the data directory")

// stepDirName names a node's step directory. Node IDs begin with the
// workflow's name, a user string, so the directory is named by a hash of
// the ID instead: whatever the name holds ("..", "/"), it never becomes a
// path. 128 bits keep IDs of one workflow apart.
func stepDirName(nodeID string) string {
	sum := sha256.Sum256([]byte(nodeID))
	return "n" + hex.EncodeToString(sum[:16])
}

// workflowsRoot is where every workflow's step directories live.
func (e *Engine) workflowsRoot() string { return filepath.Join(e.dataDir, "workflows") }

// stepDir is the one place a step directory's path is made: from the
// workflow's UID (made by the engine) and the hash of the node ID. It
// does no I/O, and refuses a path that is not inside the data directory,
// so a UID from a damaged store cannot point elsewhere either.
func (e *Engine) stepDir(uid, nodeID string) (string, error) {
	return e.inside(uid, stepDirName(nodeID))
}

// inside joins parts under the workflows root and checks that the result
// is strictly inside it, each part being a single path element.
func (e *Engine) inside(parts ...string) (string, error) {
	root := e.workflowsRoot()
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, `/\`+"\x00") {
			return "", fmt.Errorf("step directory element %q under %s: %w", p, root, ErrPathEscape)
		}
	}
	p := filepath.Join(append([]string{root}, parts...)...)
	if !within(root, p) {
		return "", fmt.Errorf("step directory %s: %w", p, ErrPathEscape)
	}
	return p, nil
}

// within says whether path p lies strictly inside dir (lexically).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// resumeStepDir finds the directory of a step an earlier engine started.
// Engines before hashed names used the node ID itself; such a directory
// is still followed, so an upgrade does not run a step twice, but only
// when the ID is a single path element inside the data directory.
func (e *Engine) resumeStepDir(uid, nodeID string) (string, error) {
	dir, err := e.stepDir(uid, nodeID)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if legacy, err := e.inside(uid, nodeID); err == nil {
		if _, err := os.Stat(legacy); err == nil {
			return legacy, nil
		}
	}
	return dir, nil
}

package artifacts

import (
	"context"
	"errors"
)

// Driver stores objects under keys in one artifact repository. The paths
// it is given are the engine's own (a step's staging directory), never a
// step's: reading a step's files is the executor's job, confined there.
//
// Implementations must be safe for concurrent use, and every method must
// return an error that names the key (and the path, where one is given).
type Driver interface {
	// Save stores the file or directory at src under key, replacing
	// what was there. A directory is stored as a tree of objects under
	// key/ (Argo's archive: none of a directory).
	Save(ctx context.Context, key, src string) error
	// Load writes what is stored under key to dst, a path that does not
	// exist yet: a file for a single object, a directory for a tree.
	// A key with nothing under it is ErrNotFound.
	Load(ctx context.Context, key, dst string) error
	// Delete removes what is stored under key; nothing there is no error.
	Delete(ctx context.Context, key string) error
	// Stat says what is stored under key, or ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
}

// Info describes what is stored under a key.
type Info struct {
	// Dir is set for a tree (a directory saved without an archive).
	Dir bool
	// Size is the object's size in bytes; for a tree, the sum of its files.
	Size int64
}

// ErrNotFound is returned (wrapped, with the key) when nothing is stored
// under a key.
var ErrNotFound = errors.New("no artifact stored under this key")

// ErrBadKey is returned (wrapped, with the key) for a key a repository
// refuses: empty, absolute, with a "." or ".." component, or too long.
var ErrBadKey = errors.New("invalid artifact key")

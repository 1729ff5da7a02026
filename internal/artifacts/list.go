package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Lister is a Driver that lists what is stored under a key: the source
// of a data template's artifactPaths, as S3's ListObjects is Argo's.
type Lister interface {
	// List returns the keys of the files stored under key, sorted: key
	// itself for a single object, its files' keys for a tree. Nothing
	// stored is ErrNotFound; more than MaxListed files is an error.
	List(ctx context.Context, key string) ([]string, error)
}

// MaxListed bounds the keys one List returns: they all go into one
// expression's data and then one node's outputs.result.
const MaxListed = 10000

// List implements Lister. Links stored in a tree are neither listed nor
// followed, and a partial save is not listed.
func (l *Local) List(ctx context.Context, key string) ([]string, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	key = path.Clean(key)
	st, err := l.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("listing artifact %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("listing artifact %s: %w", key, err)
	}
	if st.Mode().IsRegular() {
		return []string{key}, nil
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("listing artifact %s: stored as %v, not a file or directory", key, st.Mode().Type())
	}
	var out []string
	// WalkDir visits in lexical order: the keys come sorted.
	err = fs.WalkDir(l.root.FS(), key, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), partialPrefix) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if len(out) == MaxListed {
			return fmt.Errorf("more than %d files", MaxListed)
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing artifact %s: %w", key, err)
	}
	return out, nil
}

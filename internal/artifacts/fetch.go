package artifacts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Fetch puts what is stored under key at dst (which must not exist), as
// a step's input: a tar+gzip archive is unpacked, and subPath, if set,
// picks a file or directory inside the artifact (inside the unpacked
// archive, or under key for one stored unarchived).
func Fetch(ctx context.Context, d Driver, key, subPath, dst string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if subPath != "" {
		if err := CheckKey(subPath); err != nil {
			return fmt.Errorf("subPath: %w", err)
		}
		if info, err := d.Stat(ctx, key); err == nil && info.Dir {
			return d.Load(ctx, path.Join(key, subPath), dst)
		}
	}
	raw := dst + ".raw"
	defer func() { _ = os.RemoveAll(raw) }()
	if err := d.Load(ctx, key, raw); err != nil {
		return err
	}
	st, err := os.Lstat(raw)
	if err != nil {
		return err
	}
	if st.Mode().IsRegular() {
		tgz, err := IsTarGz(raw)
		if err != nil {
			return err
		}
		if tgz {
			unpacked := dst + ".unpacked"
			defer func() { _ = os.RemoveAll(unpacked) }()
			if err := Untar(raw, unpacked); err != nil {
				return err
			}
			raw = unpacked
		}
	}
	if subPath == "" {
		return os.Rename(raw, dst)
	}
	return pick(raw, subPath, dst)
}

// pick moves subPath of the tree at dir to dst, never through a link.
func pick(dir, subPath, dst string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("subPath %s: the artifact is a file, not a directory", subPath)
	}
	defer root.Close()
	// Component by component: a link anywhere on the way would make the
	// lexical path below lead where the root did not look.
	parts := strings.Split(path.Clean(subPath), "/")
	var st os.FileInfo
	for i := range parts {
		st, err = root.Lstat(path.Join(parts[:i+1]...))
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("subPath %s: %w", subPath, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("subPath %s: %w", subPath, err)
		}
		if i < len(parts)-1 && !st.IsDir() {
			return fmt.Errorf("subPath %s: %s is not a directory", subPath, path.Join(parts[:i+1]...))
		}
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		return fmt.Errorf("subPath %s: not a file or directory (%v)", subPath, st.Mode().Type())
	}
	return os.Rename(filepath.Join(dir, filepath.FromSlash(path.Clean(subPath))), dst)
}

package artifacts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// Local is a repository in a directory of this host. Every access goes
// through an os.Root on that directory, so neither a key nor a link
// stored in the repository reaches outside it. Files are 0600 and
// directories 0700: artifacts are data-directory files.
type Local struct {
	dir  string
	root *os.Root
}

// OpenLocal opens (creating it 0700 if need be) the repository at dir.
func OpenLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("artifact repository %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("artifact repository %s: %w", dir, err)
	}
	return &Local{dir: dir, root: root}, nil
}

// Dir is the repository's directory.
func (l *Local) Dir() string { return l.dir }

// Close releases the repository's directory handle.
func (l *Local) Close() error { return l.root.Close() }

// partialPrefix names what a Save writes before it renames it in place,
// so a reader never sees half an artifact.
const partialPrefix = ".semaflow-partial-"

// Save implements Driver.
func (l *Local) Save(ctx context.Context, key, src string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	key = path.Clean(key)
	st, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("saving artifact %s: %w", key, err)
	}
	parent := path.Dir(key)
	if err := l.root.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("saving artifact %s: %w", key, err)
	}
	tmp := path.Join(parent, partialPrefix+randomSuffix())
	defer func() { _ = l.root.RemoveAll(tmp) }()
	switch {
	case st.Mode().IsRegular():
		err = l.copyFileIn(src, tmp)
	case st.IsDir():
		err = l.copyTreeIn(ctx, src, tmp)
	default:
		err = fmt.Errorf("%s: not a regular file or directory (%v)", src, st.Mode().Type())
	}
	if err != nil {
		return fmt.Errorf("saving artifact %s: %w", key, err)
	}
	// Rename does not replace a directory, nor a file by a directory.
	if err := l.root.RemoveAll(key); err != nil {
		return fmt.Errorf("saving artifact %s: %w", key, err)
	}
	if err := l.root.Rename(tmp, key); err != nil {
		return fmt.Errorf("saving artifact %s: %w", key, err)
	}
	return nil
}

func (l *Local) copyFileIn(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := l.root.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// copyTreeIn copies a directory: its directories, regular files and
// symbolic links (as links: the root never follows them out); other
// kinds (FIFOs, devices, sockets) are refused.
func (l *Local) copyTreeIn(ctx context.Context, src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := path.Join(dst, filepath.ToSlash(rel))
		switch t := d.Type(); {
		case t.IsDir():
			return l.root.Mkdir(target, 0o700)
		case t.IsRegular():
			return l.copyFileIn(p, target)
		case t&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return l.root.Symlink(link, target)
		default:
			return fmt.Errorf("%s: not a regular file, directory or link (%v)", p, t)
		}
	})
}

// Load implements Driver.
func (l *Local) Load(ctx context.Context, key, dst string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	key = path.Clean(key)
	st, err := l.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("loading artifact %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("loading artifact %s: %w", key, err)
	}
	switch {
	case st.Mode().IsRegular():
		err = l.copyFileOut(key, dst)
	case st.IsDir():
		err = l.copyTreeOut(ctx, key, dst)
	default:
		err = fmt.Errorf("stored as %v, not a file or directory", st.Mode().Type())
	}
	if err != nil {
		return fmt.Errorf("loading artifact %s to %s: %w", key, dst, err)
	}
	return nil
}

func (l *Local) copyFileOut(name, dst string) error {
	in, err := l.root.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

func (l *Local) copyTreeOut(ctx context.Context, key, dst string) error {
	return fs.WalkDir(l.root.FS(), key, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(key, p)
		target := filepath.Join(dst, rel)
		switch t := d.Type(); {
		case t.IsDir():
			return os.Mkdir(target, 0o700)
		case t.IsRegular():
			return l.copyFileOut(p, target)
		case t&fs.ModeSymlink != 0:
			link, err := l.root.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return fmt.Errorf("%s: stored as %v", p, t)
		}
	})
}

// Delete implements Driver. Directories the key's parents left empty go
// too, so a deleted workflow leaves no trace in the repository.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	key = path.Clean(key)
	if err := l.root.RemoveAll(key); err != nil {
		return fmt.Errorf("deleting artifact %s: %w", key, err)
	}
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if l.root.Remove(dir) != nil {
			break // not empty, or gone: either way the walk up ends
		}
	}
	return nil
}

// Stat implements Driver.
func (l *Local) Stat(_ context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	key = path.Clean(key)
	st, err := l.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("artifact %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Info{}, fmt.Errorf("artifact %s: %w", key, err)
	}
	switch {
	case st.Mode().IsRegular():
		return Info{Size: st.Size()}, nil
	case st.IsDir():
		info := Info{Dir: true}
		err := fs.WalkDir(l.root.FS(), key, func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				fi, err := d.Info()
				if err != nil {
					return err
				}
				info.Size += fi.Size()
			}
			return nil
		})
		if err != nil {
			return Info{}, fmt.Errorf("artifact %s: %w", key, err)
		}
		return info, nil
	default:
		return Info{}, fmt.Errorf("artifact %s: stored as %v, not a file or directory", key, st.Mode().Type())
	}
}

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var _ Driver = (*Local)(nil)

package stepinit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Input artifacts come staged by the engine in DIR/inputs; each is
// copied to its path before the step starts. A step run as the step
// user gets them copied by its init, as that user, in its own mount
// namespace (as its raw inputs are), so a path of the workflow's choosing
// never makes root write a host file; otherwise the supervisor copies
// them into the step's view, which nothing has run in yet. The staged
// side is read through an os.Root: none of its links is followed.

// OpenInputs opens DIR/inputs, or returns nil when the step has none.
func OpenInputs(dir string, arts []InputArtifact) (*os.Root, error) {
	if len(arts) == 0 {
		return nil, nil
	}
	r, err := os.OpenRoot(filepath.Join(dir, InputsDir))
	if err != nil {
		return nil, fmt.Errorf("the step's input artifacts: %w", err)
	}
	return r, nil
}

// PlaceInputs copies each staged input artifact to where(path).
func PlaceInputs(src *os.Root, arts []InputArtifact, where func(string) string) error {
	for _, a := range arts {
		if err := CopyInput(src, a, where(a.Path)); err != nil {
			return fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
	}
	return nil
}

// CopyInput copies one staged input artifact to dst, making the
// directories above it.
func CopyInput(src *os.Root, a InputArtifact, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	top := true
	return fs.WalkDir(src.FS(), a.Staged, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(a.Staged, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		mode := fs.FileMode(0o644)
		if a.Mode != nil && (top || a.Recurse) {
			mode = fs.FileMode(*a.Mode) & fs.ModePerm
		}
		top = false
		switch t := d.Type(); {
		case t.IsDir():
			err := os.Mkdir(target, 0o755)
			if errors.Is(err, fs.ErrExist) {
				if st, lerr := os.Lstat(target); lerr == nil && st.IsDir() {
					return nil
				}
			}
			return err
		case t.IsRegular():
			in, err := src.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, in)
			return errors.Join(err, out.Chmod(mode), out.Close())
		case t&fs.ModeSymlink != 0:
			link, err := src.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return fmt.Errorf("%s: staged as %v", rel, t)
		}
	})
}

// WriteInput writes an input file at path. Opened without blocking: the
// path may lie in a volume an earlier step shared, which could have left
// a FIFO there, whose open for writing would wait for a reader for ever
// and hold the step's start (and its turn at the start gate) with it.
// Only a regular file, new or old, is written.
func WriteInput(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0o600)
	if errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("%s is a FIFO, not a regular file", path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if _, err := f.WriteString(content); err != nil {
		return err
	}
	return f.Close()
}

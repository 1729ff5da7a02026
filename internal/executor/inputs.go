package executor

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Input artifacts come staged by the engine in DIR/inputs; each is
// copied to its path before the step starts. A step run as the step
// user gets them copied by its init, as that user, in its own mount
// namespace (as its raw inputs are), so a path of the workflow's choosing
// never makes root write a host file; otherwise the supervisor copies
// them into the step's view, which nothing has run in yet. The staged
// side is read through an os.Root: none of its links is followed.

// openInputs opens DIR/inputs, or returns nil when the step has none.
func openInputs(dir string, spec *Spec) (*os.Root, error) {
	if len(spec.InputArtifacts) == 0 {
		return nil, nil
	}
	r, err := os.OpenRoot(filepath.Join(dir, InputsDir))
	if err != nil {
		return nil, fmt.Errorf("the step's input artifacts: %w", err)
	}
	return r, nil
}

// placeInputs copies each staged input artifact to where(path).
func placeInputs(src *os.Root, spec *Spec, where func(string) string) error {
	for _, a := range spec.InputArtifacts {
		if err := copyInput(src, a, where(a.Path)); err != nil {
			return fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
	}
	return nil
}

func copyInput(src *os.Root, a InputArtifact, dst string) error {
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
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unixNoFollow, mode)
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

// giveInputs hands DIR/inputs to the step user, who copies them.
func giveInputs(dir string, u *StepUser) error {
	return filepath.WalkDir(filepath.Join(dir, InputsDir), func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		return os.Lchown(p, int(u.UID), int(u.GID))
	})
}

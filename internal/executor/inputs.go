package executor

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

// ownInputs places, for a step run as the step user, the inputs whose
// paths are the step's own in its root's shadows (r.Inputs): there the
// user may not create them (/etc/x; /src, which the host lacks), as Argo's
// executor, not the step, places them. Those directories were made just
// now by this process, so no path there leads elsewhere. The files are
// the user's. The rest of spec's inputs (under /tmp, the working
// directory, a volume) are returned for the step init to write as the
// user.
func ownInputs(dir string, spec *Spec, r *stepRoot, user *StepUser) (rest Spec, err error) {
	rest = Spec{WorkingDir: spec.WorkingDir}
	own := func(path string) (string, bool) {
		if r == nil || !slices.Contains(r.Inputs, filepath.Clean(path)) {
			return "", false
		}
		return r.host(path)
	}
	chown := func(top string) error {
		return filepath.WalkDir(top, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, int(user.UID), int(user.GID))
		})
	}
	for path, content := range spec.InputFiles {
		host, ok := own(path)
		if !ok {
			if rest.InputFiles == nil {
				rest.InputFiles = map[string]string{}
			}
			rest.InputFiles[path] = content
			continue
		}
		if err := mkdirOwned(filepath.Dir(host), user); err != nil {
			return rest, fmt.Errorf("input artifact at %s: %w", path, err)
		}
		if err := os.WriteFile(host, []byte(content), 0o600); err != nil {
			return rest, fmt.Errorf("input artifact at %s: %w", path, err)
		}
		if err := chown(host); err != nil {
			return rest, fmt.Errorf("input artifact at %s: %w", path, err)
		}
	}
	var src *os.Root
	for _, a := range spec.InputArtifacts {
		host, ok := own(a.Path)
		if !ok {
			rest.InputArtifacts = append(rest.InputArtifacts, a)
			continue
		}
		if src == nil {
			if src, err = openInputs(dir, spec); err != nil {
				return rest, err
			}
			defer src.Close()
		}
		if err := mkdirOwned(filepath.Dir(host), user); err != nil {
			return rest, fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
		if err := copyInput(src, a, host); err != nil {
			return rest, fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
		if err := chown(host); err != nil {
			return rest, fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
	}
	return rest, nil
}

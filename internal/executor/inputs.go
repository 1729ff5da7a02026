package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/semaflow/semaflow/internal/stepinit"
)

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
		return r.Host(path)
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
			if src, err = stepinit.OpenInputs(dir, spec.InputArtifacts); err != nil {
				return rest, err
			}
			defer src.Close()
		}
		if err := mkdirOwned(filepath.Dir(host), user); err != nil {
			return rest, fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
		if err := stepinit.CopyInput(src, a, host); err != nil {
			return rest, fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
		if err := chown(host); err != nil {
			return rest, fmt.Errorf("input artifact %q: %s: %w", a.Name, a.Path, err)
		}
	}
	return rest, nil
}

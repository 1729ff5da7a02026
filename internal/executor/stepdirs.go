package executor

import (
	"fmt"
	"os"
	"path/filepath"
)

// scriptPath is where a script template's source is, as the step sees it.
const scriptPath = "/tmp/.semaflow/script"

// openStepDirs makes the step's tmp and work directories, 0700 and owned
// by whom the step runs as (never world-writable: steps of other
// workflows may run as the same user), and opens them.
func openStepDirs(dir string, c *confinement) (stepView, error) {
	v := stepView{tmp: filepath.Join(dir, TmpDir), work: filepath.Join(dir, WorkDir), private: c.private, user: c.user}
	for _, d := range []string{v.tmp, v.work} {
		if err := privateDir(d, c.user); err != nil {
			return v, err
		}
	}
	var err error
	if v.tmpDir, err = os.Open(v.tmp); err != nil {
		return v, err
	}
	if v.workDir, err = os.Open(v.work); err != nil {
		_ = v.tmpDir.Close()
		return v, err
	}
	if v.workPath, err = realPath(int(v.workDir.Fd())); err != nil {
		v.close()
		return v, err
	}
	return v, nil
}

func (v stepView) close() {
	_ = v.tmpDir.Close()
	_ = v.workDir.Close()
}

// privateDir makes path a directory only u (or, for nil, this process's
// user) can enter; one left by an older supervisor is narrowed.
func privateDir(path string, u *StepUser) error {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	if u != nil {
		if err := os.Lchown(path, int(u.UID), int(u.GID)); err != nil {
			return err
		}
	}
	return os.Chmod(path, 0o700)
}

// writeStepFiles writes the step's input files and script, for a step
// that runs as the supervisor's own user.
func writeStepFiles(spec *Spec, view stepView) error {
	for path, content := range spec.InputFiles {
		if err := writeInput(view.host(path), content); err != nil {
			return fmt.Errorf("input artifact %s: %w", path, err)
		}
	}
	if spec.Script != "" {
		return writeScript(filepath.Join(view.tmp, ".semaflow", "script"), spec.Script)
	}
	return nil
}

func writeScript(path, source string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(source), 0o700)
}

// createPrivate creates (or empties) a file only this process's user reads.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// read reads an output file of the step.
func (v stepView) read(path string) ([]byte, error) {
	if v.user != nil {
		return v.readConfined(path)
	}
	return os.ReadFile(v.host(path))
}

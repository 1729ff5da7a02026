package executor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// Programs semaflow serves in place of an image's own (internal/imageprog)
// are reached through a directory in the step's /tmp: `semaflow` there is
// this binary (a link to it, or, in a private /tmp that may hide its
// path, the binary bound there in the step's namespace), and bin/ holds
// the names it answers to. bin/ goes last on the step's PATH, so a host
// program of the same name wins.
const (
	progDir   = "/tmp/.semaflow"
	progSelf  = stepinit.ProgSelf
	progBin   = progDir + "/bin"
	argosayAt = "/argosay"
)

// ContainerSetCommand is the program of a containerSet step: this binary,
// as the step reaches it, running the plan given as the step's script.
var ContainerSetCommand = []string{progSelf, "containerset"}

// servedPrograms are the names the binary answers to (cli.Args).
var servedPrograms = []string{"argosay", "cowsay"}

// imagePrograms maps argv's program to a served one where the host lacks
// it: /argosay (argoproj/argosay:v2's entrypoint) and cowsay. It says
// whether the step needs the served programs at all.
func imagePrograms(argv []string, spec *Spec, view stepView) ([]string, bool) {
	need := spec.Argosay || spec.Programs
	switch argv[0] {
	case progSelf:
		argv[0] = view.step(progSelf)
		need = true
	case argosayAt:
		if _, err := os.Stat(argosayAt); err != nil {
			argv[0] = view.step(progBin + "/argosay")
			need = true
		}
	case "cowsay":
		if _, err := exec.LookPath("cowsay"); err != nil {
			argv[0] = view.step(progBin + "/cowsay")
			need = true
		}
	}
	return argv, need
}

// writeProgDir makes the step's program directory; private says the
// binary is bound at progSelf later, in the step's namespace, so an
// empty file stands there as the mount point.
func writeProgDir(view stepView, private bool) error {
	bin := filepath.Join(view.tmp, strings.TrimPrefix(progBin, "/tmp"))
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	self := filepath.Join(view.tmp, strings.TrimPrefix(progSelf, "/tmp"))
	if private {
		f, err := os.OpenFile(self, os.O_CREATE|os.O_RDONLY, 0o500)
		if err != nil {
			return err
		}
		_ = f.Close()
	} else {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		if err := os.Symlink(exe, self); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	for _, name := range servedPrograms {
		if err := os.Symlink("../semaflow", filepath.Join(bin, name)); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return nil
}

// withProgPath puts the program directory last on env's PATH.
func withProgPath(env []string, dir string) []string {
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + v + string(os.PathListSeparator) + dir
			return env
		}
	}
	return append(env, "PATH=/usr/local/bin:/usr/bin:/bin"+string(os.PathListSeparator)+dir)
}

package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// InitBinary is the step init's own small binary (cmd/semaflow-init),
// looked for beside semaflow. A step run as the step user starts through
// it in ~4 ms of CPU, against ~30 ms for `semaflow exec --init`, which
// starts the whole semaflow binary (its dependencies' package init, its
// size); without it steps still run, through the latter.
const InitBinary = "semaflow-init"

// stepInit is how steps run as the step user start: the argv before
// CONFIG. It is semaflow-init beside self when that is there, safe to
// run as root and passes a probe; else self's `exec --init`, and why
// says why semaflow-init was passed over ("" when there is none).
func stepInit(self string) (argv []string, why string) {
	fallback := []string{self, "exec", "--init"}
	path := initBeside(self)
	if err := trustedInit(path, self); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fallback, ""
		}
		return fallback, err.Error()
	}
	if err := probeInit([]string{path}); err != nil {
		return fallback, fmt.Sprintf("%s: %v", path, err)
	}
	return []string{path}, ""
}

// initBeside is where semaflow-init is looked for (a variable for tests,
// whose semaflow is the test binary).
var initBeside = func(self string) string { return filepath.Join(filepath.Dir(self), InitBinary) }

// trustedInit refuses an init binary that someone other than root or
// semaflow's owner could have written: the supervisor runs it as root.
func trustedInit(path, self string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable regular file", path)
	}
	if st.Mode()&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %v), so not run as root", path, st.Mode().Perm())
	}
	owner := st.Sys().(*syscall.Stat_t).Uid
	var selfSt syscall.Stat_t
	if err := syscall.Stat(self, &selfSt); err != nil {
		return err
	}
	if owner != 0 && owner != selfSt.Uid {
		return fmt.Errorf("%s belongs to uid %d, neither root nor semaflow's owner, so not run as root", path, owner)
	}
	return nil
}

// initCmd is the command that starts the init argv with config.
func initCmd(argv []string, config stepinit.Config) (*exec.Cmd, error) {
	config.Protocol = stepinit.Protocol
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	return exec.Command(argv[0], append(argv[1:len(argv):len(argv)], string(b))...), nil
}

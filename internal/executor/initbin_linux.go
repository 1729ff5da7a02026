package executor

import (
	"debug/buildinfo"
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
// it in ~7 ms of CPU, against ~30 ms for `semaflow exec --init`, which
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
	if err := isStepInit(path); err != nil {
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
// semaflow's owner could have written, or put there: the supervisor runs
// it as root, by path, for every step.
func trustedInit(path, self string) error {
	var selfSt syscall.Stat_t
	if err := syscall.Stat(self, &selfSt); err != nil {
		return err
	}
	trusted := func(uid uint32) bool { return uid == 0 || uid == selfSt.Uid }
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: install the program itself there", path)
	case !st.Mode().IsRegular() || st.Mode()&0o111 == 0:
		return fmt.Errorf("%s is not an executable regular file", path)
	case st.Mode()&0o022 != 0:
		return fmt.Errorf("%s is writable by group or others (mode %v), so not run as root", path, st.Mode().Perm())
	}
	sys := st.Sys().(*syscall.Stat_t)
	if !trusted(sys.Uid) {
		return fmt.Errorf("%s belongs to uid %d, neither root nor semaflow's owner, so not run as root", path, sys.Uid)
	}
	// Only they may add or replace names in its directory: no one else
	// can put a file, or a hard link to another root program, at this
	// path. (Links as such are not refused: perf's build-id cache, for
	// one, links the binaries it profiled.) Nor may anyone else rename a
	// directory above it (and put another in its place) after this check:
	// each is theirs, or sticky (/tmp), where no one renames what is not
	// theirs.
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		var st syscall.Stat_t
		if err := syscall.Stat(d, &st); err != nil {
			return err
		}
		open := st.Mode&0o022 != 0
		switch {
		case d == filepath.Dir(path) && (!trusted(st.Uid) || open):
			return fmt.Errorf("%s is in %s, which someone other than root or semaflow's owner may write (uid %d, mode %o), so not run as root",
				path, d, st.Uid, st.Mode&0o7777)
		case !trusted(st.Uid) || (open && st.Mode&syscall.S_ISVTX == 0):
			return fmt.Errorf("%s is under %s, which someone other than root or semaflow's owner may change (uid %d, mode %o), so not run as root",
				path, d, st.Uid, st.Mode&0o7777)
		}
		if d == "/" || d == "." {
			return nil
		}
	}
}

// isStepInit checks that path is semaflow-init by what Go recorded in it
// when it was built, before it is ever run.
func isStepInit(path string) error {
	const want = "github.com/semaflow/semaflow/cmd/semaflow-init"
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s is not semaflow's step init: %w", path, err)
	}
	if bi.Path != want {
		return fmt.Errorf("%s is not semaflow's step init: it was built from %s", path, bi.Path)
	}
	return nil
}

// initCmd is the command that starts the init argv with config.
func initCmd(argv []string, config stepinit.Config) (*exec.Cmd, error) {
	config.Build = stepinit.Build()
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], append(argv[1:len(argv):len(argv)], string(b))...)
	// The init runs as root: nothing of the supervisor's or the step's
	// environment (LD_PRELOAD for a dynamically linked semaflow, GODEBUG)
	// may steer it. The step's comes in its Spec.
	cmd.Env = []string{}
	return cmd, nil
}

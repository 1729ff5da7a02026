package executor

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// exec.Command looks a program name up on PATH at every call: a stat of
// each directory's candidate until one is found, about 4% of the
// supervisor's time per step when every step runs the same program. The
// answer is kept for progReuse per name and PATH: a program installed
// earlier on PATH is found that much later at most, and a changed PATH
// looks again. A reused path that is gone when the step starts (the
// program moved or was removed) is looked up again once (startCommand):
// only then does the step fail as a missing program does.

// progReuse is how long a lookup is reused; a variable for tests.
var progReuse = time.Second

// maxProgPaths bounds the names kept; past it the table starts over.
const maxProgPaths = 256

// progLookups counts real lookups, for tests.
var progLookups atomic.Uint64

var progPaths struct {
	mu sync.Mutex
	m  map[string]progPath
}

type progPath struct {
	pathEnv, path string
	at            time.Time
}

// stepCommand is exec.Command(argv[0], argv[1:]...), with the lookup of a
// bare program name reused.
func stepCommand(argv []string) *exec.Cmd {
	name := argv[0]
	if name == "" || strings.ContainsRune(name, '/') {
		return exec.Command(name, argv[1:]...)
	}
	pathEnv := os.Getenv("PATH")
	now := time.Now()
	progPaths.mu.Lock()
	p, ok := progPaths.m[name]
	progPaths.mu.Unlock()
	if ok && p.pathEnv == pathEnv && now.Sub(p.at) < progReuse {
		return &exec.Cmd{Path: p.path, Args: argv}
	}
	progLookups.Add(1)
	cmd := exec.Command(name, argv[1:]...)
	if cmd.Err != nil || !strings.HasPrefix(cmd.Path, "/") {
		return cmd
	}
	progPaths.mu.Lock()
	if progPaths.m == nil || len(progPaths.m) >= maxProgPaths {
		progPaths.m = map[string]progPath{}
	}
	progPaths.m[name] = progPath{pathEnv: pathEnv, path: cmd.Path, at: now}
	progPaths.mu.Unlock()
	return cmd
}

// startCommand is cmd.Start. When cmd is stepCommand's with a reused
// lookup and that path is missing at the start (ENOENT), the name is
// looked up again and, found elsewhere, started from there, once.
func startCommand(cmd *exec.Cmd) error {
	err := cmd.Start()
	if err == nil || !errors.Is(err, syscall.ENOENT) {
		return err
	}
	again := lookupAgain(cmd)
	if again == nil {
		return err
	}
	// An exec.Cmd is started at most once: cmd becomes the new one, so
	// that whoever holds it sees the process that runs.
	*cmd = *again
	return cmd.Start()
}

// lookupAgain is cmd with its program looked up afresh, when cmd's path is
// the one stepCommand reuses for its name; nil when it is not, or when the
// name is not found elsewhere.
func lookupAgain(cmd *exec.Cmd) *exec.Cmd {
	if len(cmd.Args) == 0 {
		return nil
	}
	name := cmd.Args[0]
	pathEnv := os.Getenv("PATH")
	progPaths.mu.Lock()
	p, ok := progPaths.m[name]
	reused := ok && p.path == cmd.Path && p.pathEnv == pathEnv
	if reused {
		// Forgotten: the lookup below stores what is there now.
		delete(progPaths.m, name)
	}
	progPaths.mu.Unlock()
	if !reused {
		return nil
	}
	// No longer in the table: stepCommand looks the name up.
	fresh := stepCommand(cmd.Args)
	if fresh.Err != nil || fresh.Path == cmd.Path {
		return nil
	}
	fresh.Env, fresh.Dir = cmd.Env, cmd.Dir
	fresh.Stdin, fresh.Stdout, fresh.Stderr = cmd.Stdin, cmd.Stdout, cmd.Stderr
	fresh.ExtraFiles, fresh.SysProcAttr, fresh.WaitDelay = cmd.ExtraFiles, cmd.SysProcAttr, cmd.WaitDelay
	return fresh
}

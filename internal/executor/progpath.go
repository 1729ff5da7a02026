package executor

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// exec.Command looks a program name up on PATH at every call: a stat of
// each directory's candidate until one is found, about 4% of the
// supervisor's time per step when every step runs the same program. The
// answer is kept for progReuse per name and PATH: a program installed
// earlier on PATH is found that much later at most, one removed fails
// its exec as a missing program does, and a changed PATH looks again.

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

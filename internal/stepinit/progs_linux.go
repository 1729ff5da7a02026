package stepinit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ProgSelf is where a step reaches the semaflow binary that serves
// programs in place of an image's own (argosay, a containerSet's runner).
const ProgSelf = "/tmp/.semaflow/semaflow"

// progSelfIn is ProgSelf's place in the step's tmp directory, tmp.
func progSelfIn(tmp string) string {
	return filepath.Join(tmp, strings.TrimPrefix(ProgSelf, "/tmp"))
}

// initProgs is what the step init opened for served programs before the
// data directory is hidden.
type initProgs struct {
	self int // the semaflow binary, open, or -1: no mount point for it
	root *Root
	fds  []int
}

// openImagePrograms opens what the supervisor made for served programs:
// the binary's mount point in the step's tmp (then the binary itself, to
// be bound there), and the step root the supervisor planned (/argosay, a
// workingDir of the step's). Either may be absent.
func (c *Config) openImagePrograms(tmp string) (*initProgs, error) {
	p := &initProgs{self: -1}
	if st, err := os.Lstat(progSelfIn(tmp)); err == nil && st.Mode().IsRegular() {
		// The init may be semaflow-init, not semaflow: the binary to show
		// the step is the supervisor's (its path in Self).
		if c.Self == "" {
			return nil, fmt.Errorf("the step's image programs: the supervisor named no semaflow binary to serve them")
		}
		fd, err := unix.Open(c.Self, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("the step's image programs: %w", err)
		}
		p.self = fd
	}
	if c.Root == nil || !c.PrivateTmp {
		return p, nil
	}
	fds, err := c.Root.Open()
	if err != nil {
		p.close()
		return nil, err
	}
	p.root, p.fds = c.Root, fds
	return p, nil
}

func (p *initProgs) close() {
	if p.self >= 0 {
		_ = syscall.Close(p.self)
		p.self = -1
	}
	CloseAll(p.fds)
	p.fds = nil
}

// enterImagePrograms binds the semaflow binary at its mount point and
// enters the step root, once the step's mounts are made.
func (c *Config) enterImagePrograms(p *initProgs, tmp string) error {
	defer p.close()
	if p.self >= 0 {
		at := ProgSelf // the step's tmp is bound over /tmp by now
		if !c.PrivateTmp {
			at = progSelfIn(tmp)
		}
		if err := syscall.Mount(FdPath(p.self), at, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("the step's image programs: binding semaflow at %s: %w", at, err)
		}
	}
	if p.root == nil {
		return nil
	}
	return p.root.Enter(p.fds)
}

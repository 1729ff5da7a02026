package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// privateSetup is spawn's setup for a root step with a private /tmp:
// privateTmp, with, if progs, this binary bound where the program
// directory expects it (its own path may be under the /tmp that is about
// to be covered), then the step's own root when it needs one. What is
// bound or opened is so after the unshare, by path: a mount or a handle
// from before it belongs to the host's namespace and cannot be used in
// the step's.
func privateSetup(view stepView, progs bool) (func() error, error) {
	exe := ""
	if progs {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("the step's image programs: %w", err)
		}
	}
	r := view.root
	var fds []int
	pre := func() error {
		if exe != "" {
			at := filepath.Join(view.tmp, strings.TrimPrefix(progSelf, "/tmp"))
			if err := syscall.Mount(exe, at, "", syscall.MS_BIND, ""); err != nil {
				return fmt.Errorf("the step's image programs: binding %s at %s: %w", exe, progSelf, err)
			}
		}
		if r != nil {
			var err error
			fds, err = r.Open()
			return err
		}
		return nil
	}
	tmp := privateTmp(view.tmp, view.workDir, view.workPath, pre)
	return func() error {
		defer func() { stepinit.CloseAll(fds) }()
		if err := tmp(); err != nil {
			return err
		}
		if r != nil {
			return r.Enter(fds)
		}
		return nil
	}, nil
}

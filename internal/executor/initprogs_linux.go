package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// initRoot is a step root as the step init sees it: opened before the
// data directory is hidden.
type initRoot struct {
	r   *stepRoot
	fds []int
}

// openImagePrograms, in the step init, opens what the supervisor made
// for served programs: the binary's mount point in the step's tmp, and
// the step root the supervisor planned (/argosay, a workingDir of the
// step's). Either may be absent; the root's handles are taken before the
// data directory is hidden.
func (c *initConfig) openImagePrograms(tmp string) (self bool, root *initRoot, err error) {
	if st, err := os.Lstat(filepath.Join(tmp, strings.TrimPrefix(progSelf, "/tmp"))); err == nil && st.Mode().IsRegular() {
		self = true
	}
	if c.Root == nil || !c.PrivateTmp {
		return self, nil, nil
	}
	fds, err := c.Root.open()
	if err != nil {
		return self, nil, err
	}
	return self, &initRoot{r: c.Root, fds: fds}, nil
}

// enterImagePrograms binds this binary (the init is semaflow) at its
// mount point and enters the step root, once the step's mounts are made.
func (c *initConfig) enterImagePrograms(self bool, root *initRoot, tmp string) error {
	if self {
		at := stepView{tmp: tmp, private: c.PrivateTmp}.step(progSelf)
		if err := syscall.Mount("/proc/self/exe", at, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("the step's image programs: binding semaflow at %s: %w", at, err)
		}
	}
	if root == nil {
		return nil
	}
	defer func() { closeAll(root.fds) }()
	return root.r.enter(root.fds)
}

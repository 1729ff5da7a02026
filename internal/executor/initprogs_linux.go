package executor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initRoot is a step root as the step init sees it: opened before the
// data directory is hidden.
type initRoot struct {
	r  *stepRoot
	fd int
}

// openImagePrograms, in the step init, opens what the supervisor made
// for served programs: the binary's mount point in the step's tmp, and
// the step root that holds /argosay. Either may be absent; the root's
// handle is taken before the data directory is hidden.
func (c *initConfig) openImagePrograms(spec *Spec, tmp string) (self bool, root *initRoot, err error) {
	if st, err := os.Lstat(filepath.Join(tmp, strings.TrimPrefix(progSelf, "/tmp"))); err == nil && st.Mode().IsRegular() {
		self = true
	}
	if !spec.Argosay || !c.PrivateTmp {
		return self, nil, nil
	}
	r := &stepRoot{dir: filepath.Join(c.Dir, "root"), own: map[string]bool{strings.TrimPrefix(argosayAt, "/"): true}}
	fd, err := syscall.Open(r.dir, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ENOENT) {
		return self, nil, nil
	}
	if err != nil {
		return self, nil, fmt.Errorf("the step's own root: %w", err)
	}
	return self, &initRoot{r: r, fd: fd}, nil
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
	defer func() { _ = syscall.Close(root.fd) }()
	return root.r.enter(root.fd, nil)
}

package stepinit

import (
	"fmt"
	"os"
	"syscall"
)

// ScratchDirs are the host's world-writable directories besides /tmp.
// Every step user is the same uid, so a file left there by one tenant's
// step is readable by the next tenant's, whatever its mode, and outlives
// both. A step run as the step user gets each as a tmpfs of its own,
// gone with the step's mount namespace: 64 MiB, Docker's default /dev/shm,
// caps the memory a step can pin there. An output declared under them is
// therefore not collected (the step's tmpfs is gone when outputs are
// read); one under /tmp or the working directory is.
var ScratchDirs = []string{"/dev/shm", "/var/tmp", "/run/lock"}

const scratchOptions = "mode=1777,size=64m"

// MountScratch covers each scratch directory the host has with a fresh
// tmpfs. A directory the host lacks is left alone: there is nothing there
// to share.
func MountScratch() error {
	for _, d := range ScratchDirs {
		if st, err := os.Lstat(d); err != nil || !st.IsDir() {
			continue
		}
		if err := syscall.Mount("tmpfs", d, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, scratchOptions); err != nil {
			return fmt.Errorf("giving the step its own %s: %w", d, err)
		}
	}
	return nil
}

package spec

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// kernelMounts hold the host's devices and kernel state: a step cannot
// have a directory of its own there.
var kernelMounts = []string{"/proc", "/sys", "/dev"}

// ReservedStepPaths are semaflow's own in every step: its script,
// programs and pod runner in /tmp/.semaflow. A volume there would let a
// step replace what semaflow runs in the next.
var ReservedStepPaths = []string{"/tmp/.semaflow"}

// The kernel's bounds on a path and on one name in it (PATH_MAX,
// NAME_MAX).
const (
	maxPathBytes = 4096
	maxNameBytes = 255
)

// CheckMountPath refuses a volumeMount's mountPath that no step may have:
// not a clean absolute path below / (`..` included, which Kubernetes
// refuses too), or one under the kernel's filesystems. The engine refuses
// the data directory besides, which only it knows.
func CheckMountPath(p string) error {
	if !strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") || path.Clean(p) == "/" {
		return errors.New("must be an absolute path below /, without `..`")
	}
	if len(p) > maxPathBytes {
		return fmt.Errorf("it is longer than %d bytes", maxPathBytes)
	}
	if slices.ContainsFunc(strings.Split(p, "/"), func(n string) bool { return len(n) > maxNameBytes }) {
		return fmt.Errorf("a name in it is longer than %d bytes", maxNameBytes)
	}
	c := path.Clean(p)
	for _, r := range ReservedStepPaths {
		if c == r || strings.HasPrefix(c, r+"/") {
			return fmt.Errorf("semaflow's own path %s in every step (its script, programs and pod runner) "+
				"would be the volume's, which a step could write: mount it elsewhere", r)
		}
	}
	for _, k := range kernelMounts {
		if c == k || strings.HasPrefix(c, k+"/") {
			return fmt.Errorf("it lies under %s, which a step cannot have of its own", k)
		}
	}
	return nil
}

// CheckSubPath refuses a subPath that leaves its volume.
func CheckSubPath(p string) error {
	if p == "" {
		return nil
	}
	if strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") || strings.ContainsRune(p, 0) {
		return errors.New("must be a relative path inside the volume, without `..`")
	}
	return nil
}

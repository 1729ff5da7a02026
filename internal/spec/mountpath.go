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

// CheckMountPath refuses a volumeMount's mountPath that no step may have:
// not a clean absolute path below / (`..` included, which Kubernetes
// refuses too), or one under the kernel's filesystems. The engine refuses
// the data directory besides, which only it knows.
func CheckMountPath(p string) error {
	if !strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") || path.Clean(p) == "/" {
		return errors.New("must be an absolute path below /, without `..`")
	}
	c := path.Clean(p)
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

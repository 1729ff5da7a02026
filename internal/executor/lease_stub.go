package executor

import (
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// WriteLease is a placeholder until the supervisor side lands (h-lease).
func WriteLease(path string, expires time.Time) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + "." + strconv.Itoa(os.Getpid()) + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(expires.UnixNano(), 10)), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

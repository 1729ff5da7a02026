package executor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// leaseTmpSeq tells apart the temporary files of concurrent WriteLease
// calls of one process.
var leaseTmpSeq atomic.Uint64

// WriteLease records a node's lease expiry in path for the supervisors of
// its steps: unix nanoseconds as decimal text. The file is replaced
// whole (written aside, then renamed), so a reader sees the old expiry or
// the new one, never a mix.
func WriteLease(path string, expires time.Time) error {
	tmp := fmt.Sprintf("%s.%d.%d.tmp", path, os.Getpid(), leaseTmpSeq.Add(1))
	b := strconv.AppendInt(nil, expires.UnixNano(), 10)
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the lease file %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing the lease file %s: %w", path, err)
	}
	return nil
}

// ReadLease reads the expiry WriteLease recorded in path.
func ReadLease(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, fmt.Errorf("the lease file %s: %w", path, err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ns <= 0 || strings.HasPrefix(s, "+") {
		return time.Time{}, fmt.Errorf("the lease file %s holds %q, not an expiry in unix nanoseconds", path, truncate(s, 40))
	}
	return time.Unix(0, ns), nil
}

// truncate cuts s to at most n bytes, for quoting a file in an error.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

package executor

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A step's output is stored once: the log on disk, and a capped copy of
// stdout in memory for outputs.result.
func TestOutputIsStoredOnce(t *testing.T) {
	s := startServe(t)
	const size = 1 << 20
	dir := job(t, Spec{Command: []string{"sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' a; echo oops >&2"}, Env: os.Environ()})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Stdout) != MaxResult || !r.Truncated || strings.Trim(r.Stdout, "a") != "" {
		t.Fatalf("outputs.result: %d bytes, truncated %v", len(r.Stdout), r.Truncated)
	}
	var onDisk int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				onDisk += info.Size()
			}
		}
		return nil
	})
	// The log (1 MiB and the stderr line) plus the capped result.json.
	if onDisk > size+MaxResult+64<<10 {
		t.Fatalf("%d bytes on disk for 1 MiB of output: stored twice", onDisk)
	}
	log, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil || len(log) != size+len("oops\n") {
		t.Fatalf("log: %d bytes, %v", len(log), err)
	}
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

package executor

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A step that writes far more than the log cap leaves a log of at most
// the cap plus a marker: its head, the marker and its last bytes. The
// step is not stopped: it runs to the end and exits 0.
func TestLogIsCappedOnDisk(t *testing.T) {
	oldCap, oldTail := maxLogBytes, logTailBytes
	maxLogBytes, logTailBytes = 1<<20, 64<<10
	t.Cleanup(func() { maxLogBytes, logTailBytes = oldCap, oldTail })
	s := startServe(t)
	// The pause lets the head of both pipes reach the log before the
	// flood: written at once, stderr's line could land behind a pipe's
	// worth of stdout (outPipes reads up to readsPerWake of one first).
	script := "printf HEAD-START; echo err-head >&2; sleep 0.2; head -c 3145728 /dev/zero | tr '\\0' a; sleep 0.2; printf TAIL-END >&2"
	dir := job(t, Spec{Command: []string{"sh", "-c", script}, Env: os.Environ()})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 0 || r.Killed != "" {
		t.Fatalf("the step was stopped by the cap: %+v", r)
	}
	log, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	const markerRoom = 200
	if int64(len(log)) > maxLogBytes+markerRoom {
		t.Fatalf("log is %d bytes, cap %d", len(log), maxLogBytes)
	}
	// stdout and stderr are separate pipes: bytes written to both at once
	// have no order (see outPipes).
	if !bytes.Contains(log[:1024], []byte("HEAD-START")) || !bytes.Contains(log[:1024], []byte("err-head")) {
		t.Fatalf("log lost its head: %q", log[:64])
	}
	// The pause lets the stdout pipe drain, so stderr's TAIL-END is last.
	if !bytes.HasSuffix(log, []byte("TAIL-END")) {
		t.Fatalf("log lost its tail: %q", log[len(log)-64:])
	}
	if !bytes.Contains(log, []byte("semaflow: the log was cut: ")) {
		t.Fatal("log has no marker saying it was cut")
	}
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

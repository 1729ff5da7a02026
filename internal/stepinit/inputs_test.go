package stepinit

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An input file is never written into a FIFO left where it goes (by an
// earlier step, in a shared volume): the write fails at once, not waiting
// for a reader for ever.
func TestInputIsNotWrittenIntoAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- WriteInput(path, "x") }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "FIFO") {
			t.Fatalf("writing into a FIFO: %v, want an error naming the FIFO", err)
		}
	case <-time.After(5 * time.Second):
		// Let the writer go before failing.
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer f.Close()
		}
		t.Fatal("writing an input into a FIFO blocked")
	}
}

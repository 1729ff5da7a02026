package executor

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A step that writes to stdout and then, last, a line to stderr leaves
// that line last in its log, every time: the failed step's log tail and
// run --log show its error line after its output (hostile 19 #11: 5 of
// 20 runs had "err" among the first lines). stdout and stderr are two
// pipes, so lines written at the same moment have no order; one writer's
// lines keep theirs.
func TestLogKeepsOneWritersOrder(t *testing.T) {
	s := startServe(t)
	const runs = 20
	script := `for i in $(seq 1 30); do echo out-$i; done; echo err >&2; exit 3`
	for i := range runs {
		key := fmt.Sprintf("k%d", i)
		dir := job(t, Spec{Command: []string{"sh", "-c", script}, Env: os.Environ()})
		s.send(t, request{Op: "start", Key: key, Dir: dir})
		s.await(t, key, "exited")
		log, err := os.ReadFile(filepath.Join(dir, LogFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(log, []byte("out-30\nerr\n")) || bytes.Count(log, []byte("\n")) != 31 {
			t.Fatalf("run %d: the log is out of order or short:\n%s", i, log)
		}
		r, err := ReadResult(dir)
		if err != nil {
			t.Fatal(err)
		}
		if r.ExitCode != 3 || !bytes.HasPrefix([]byte(r.Stdout), []byte("out-1\n")) || bytes.Contains([]byte(r.Stdout), []byte("err")) {
			t.Fatalf("run %d: result %+v; want exit 3 and stdout alone", i, r)
		}
	}
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

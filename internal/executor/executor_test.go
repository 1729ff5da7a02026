package executor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serve runs the supervisor in-process on pipes.
type served struct {
	in    io.WriteCloser
	notes chan notice
	done  chan error
}

func startServe(t testing.TB) *served { return startServeWith(t, Isolation{}) }

func startServeWith(t testing.TB, iso Isolation) *served {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &served{in: inW, notes: make(chan notice, 16), done: make(chan error, 1)}
	go func() {
		err := ServeIsolated(inR, outW, iso)
		_ = outW.Close()
		s.done <- err
	}()
	go s.readNotices(outR)
	return s
}

func (s *served) readNotices(out io.Reader) {
	sc := bufio.NewScanner(out)
	// An exited notice carries the step's result, up to MaxResult of
	// stdout and its outputs.
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var n notice
		if json.Unmarshal(sc.Bytes(), &n) == nil {
			s.notes <- n
		}
	}
	close(s.notes)
}

func (s *served) send(t testing.TB, r request) {
	t.Helper()
	if err := json.NewEncoder(s.in).Encode(r); err != nil {
		t.Fatal(err)
	}
}

func (s *served) await(t *testing.T, key, event string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case n, ok := <-s.notes:
			if !ok {
				t.Fatalf("supervisor closed before %s %s", key, event)
			}
			if n.Key == key && n.Event == event {
				return
			}
		case <-timeout:
			t.Fatalf("no %s for %s", event, key)
		}
	}
}

func job(t *testing.T, spec Spec) string {
	t.Helper()
	dir := t.TempDir()
	if err := writeJSON(filepath.Join(dir, SpecFile), spec); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestKillStopsTheWholeProcessGroup(t *testing.T) {
	s := startServe(t)
	dir := job(t, Spec{Command: []string{"sh", "-c", "sleep 876 & sleep 876; echo never"}, Env: os.Environ()})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "started")
	s.send(t, request{Op: "kill", Key: "k", Reason: "stopped by the test"})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Killed != "stopped by the test" || r.ExitCode == 0 || strings.Contains(r.Stdout, "never") {
		t.Fatalf("result %+v", r)
	}
	if out, err := exec.Command("pgrep", "-f", "sleep 876").Output(); err == nil && len(out) > 0 {
		t.Fatalf("processes of the killed step survive: %s", out)
	}
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

// A step outlives the engine: when the engine's end of the pipe closes,
// the supervisor still waits for the step and writes its result.
func TestStepOutlivesEngine(t *testing.T) {
	s := startServe(t)
	dir := job(t, Spec{Command: []string{"sh", "-c", "sleep 0.3; echo done"}, Env: os.Environ()})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "started")
	_ = s.in.Close()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("supervisor did not exit after its step")
	}
	r, err := ReadResult(dir)
	if err != nil || r.ExitCode != 0 || r.Stdout != "done\n" {
		t.Fatalf("result %+v, %v", r, err)
	}
}

func TestOutputsDefaultsAndMissing(t *testing.T) {
	s := startServe(t)
	def := "fallback"
	dir := job(t, Spec{
		Command: []string{"sh", "-c", "echo 42 > /tmp/answer"},
		Env:     os.Environ(),
		Outputs: []OutputFile{{Name: "answer", Path: "/tmp/answer"}, {Name: "opt", Path: "/tmp/none", Default: &def},
			{Name: "req", Path: "/tmp/absent"}},
	})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outputs["answer"] != "42\n" || r.Outputs["opt"] != "fallback" || !strings.Contains(r.Missing["req"], "/tmp/absent") {
		t.Fatalf("outputs %+v missing %+v", r.Outputs, r.Missing)
	}
	if _, err := os.Stat("/tmp/answer"); err == nil && os.Geteuid() == 0 {
		t.Fatal("the step wrote the host's /tmp instead of its own")
	}
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

// A program that cannot be executed is the step's failure (exit 64, as
// Argo's emissary), not a start error of the engine's.
func TestMissingProgramIsAnExecError(t *testing.T) {
	s := startServe(t)
	dir := job(t, Spec{Command: []string{"no-such-program-abc"}, Env: os.Environ()})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil || r.StartError != "" || r.ExitCode != 64 ||
		!strings.Contains(r.ExecError, `"no-such-program-abc": executable file not found`) {
		t.Fatalf("result %+v, %v", r, err)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, LogFile)); !strings.Contains(string(log), "executable file not found") {
		t.Fatalf("the step log does not say why: %q", log)
	}
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

// runSeq runs spec as steps one after another through s, each in a new
// directory, and returns the directories and results in order.
func runSeq(t *testing.T, s *served, n int, spec func(i int) Spec) ([]string, []*Result) {
	return runSeqThen(t, s, n, spec, nil)
}

// runSeqThen is runSeq, calling before (when set) before each step.
func runSeqThen(t *testing.T, s *served, n int, spec func(i int) Spec, before func()) ([]string, []*Result) {
	t.Helper()
	var dirs []string
	var results []*Result
	for i := range n {
		if before != nil {
			before()
		}
		dir := t.TempDir()
		key := fmt.Sprintf("k%d", i)
		sp := spec(i)
		s.send(t, request{Op: "start", Key: key, Dir: dir, Spec: &sp})
		s.await(t, key, "exited")
		r, err := ReadResult(dir)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
		results = append(results, r)
	}
	return dirs, results
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// envWithout is this process's environment without the variable name.
func envWithout(name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// stopServe closes the supervisor's requests and waits for it to end.
func stopServe(t *testing.T, s *served) {
	t.Helper()
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Error(err)
	}
}

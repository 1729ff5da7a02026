package executor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// supervisorProc is a real `exec --serve` process driven by the test.
type supervisorProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	notes []notice // complete once done closes
	done  chan struct{}
}

func startSupervisorProc(t *testing.T) *supervisorProc {
	t.Helper()
	cmd := exec.Command(self(t), "exec", "--serve", "--private-tmp=true")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &supervisorProc{cmd: cmd, in: in, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var n notice
			if json.Unmarshal(sc.Bytes(), &n) == nil {
				p.notes = append(p.notes, n)
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = in.Close()
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return p
}

// finish closes the supervisor's input and waits until it has ended its
// steps and exited; it returns the exited notices by key.
func (p *supervisorProc) finish(t *testing.T) map[string]*Result {
	t.Helper()
	_ = p.in.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("a supervisor did not exit after its steps")
	}
	exited := map[string]*Result{}
	for _, n := range p.notes {
		if n.Event == "exited" {
			exited[n.Key] = n.Result
		}
	}
	return exited
}

// After an engine restart under load, the old supervisor and the new one
// can both be handed a step; only one may run it, and both report its
// one outcome.
func TestTwoSupervisorsRunAStepOnce(t *testing.T) {
	const rounds = 20
	a, b := startSupervisorProc(t), startSupervisorProc(t)
	dirs := make([]string, rounds)
	for i := range rounds {
		dirs[i] = job(t, Spec{Command: []string{"sh", "-c", "echo ran >> count; sleep 0.1; echo out"}, Env: os.Environ()})
		line, err := json.Marshal(request{Op: "start", Key: fmt.Sprint("k", i), Dir: dirs[i]})
		if err != nil {
			t.Fatal(err)
		}
		line = append(line, '\n')
		var wg sync.WaitGroup
		for _, p := range []*supervisorProc{a, b} {
			wg.Go(func() {
				if _, err := p.in.Write(line); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	ra, rb := a.finish(t), b.finish(t)
	for i, dir := range dirs {
		key := fmt.Sprint("k", i)
		b, _ := os.ReadFile(filepath.Join(dir, WorkDir, "count"))
		if runs := strings.Count(string(b), "ran"); runs != 1 {
			t.Errorf("round %d: the step ran %d times, want once", i, runs)
		}
		for name, r := range map[string]*Result{"a": ra[key], "b": rb[key]} {
			if r == nil || r.ExitCode != 0 || r.StartError != "" || r.Stdout != "out\n" {
				t.Errorf("round %d: supervisor %s reported %+v, want the step's one outcome", i, name, r)
			}
		}
		r, err := ReadResult(dir)
		if err != nil || r.Stdout != "out\n" {
			t.Errorf("round %d: result.json %+v, %v", i, r, err)
		}
	}
}

// A step NeverStarted gave up on is fenced: a supervisor that takes its
// request late does not run it, and the step stays never started for a
// later look.
func TestNeverStartedFencesALateSupervisor(t *testing.T) {
	dir := job(t, Spec{Command: []string{"sh", "-c", "echo ran >> count"}, Env: os.Environ()})
	if got := NeverStarted([]string{dir}, 50*time.Millisecond); len(got) != 1 {
		t.Fatalf("NeverStarted = %v, want the step", got)
	}
	s := startServe(t)
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	r := s.result(t, "k", 20*time.Second)
	if _, err := os.Stat(filepath.Join(dir, WorkDir, "count")); err == nil {
		t.Error("a supervisor ran a step NeverStarted had reported as never started")
	}
	if r.StartError == "" {
		t.Errorf("the late supervisor reported %+v, want an error", r)
	}
	if got := NeverStarted([]string{dir}, 50*time.Millisecond); len(got) != 1 {
		t.Errorf("NeverStarted a second time = %v, want the step again", got)
	}
	s.finish(t)
}

// A step a supervisor took is not reported never started.
func TestNeverStartedLeavesATakenStep(t *testing.T) {
	s := startServe(t)
	dir := job(t, Spec{Command: []string{"sleep", "0.3"}, Env: os.Environ()})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	if got := NeverStarted([]string{dir}, 5*time.Second); len(got) != 0 {
		t.Errorf("NeverStarted = %v for a step a supervisor runs", got)
	}
	s.result(t, "k", 20*time.Second)
	s.finish(t)
}

// A kill sent to a supervisor that follows a step another one took
// reaches the step, and each supervisor reports the step started and
// killed.
func TestKillReachesAStepAnotherSupervisorRuns(t *testing.T) {
	const rounds = 4
	a, b := startSupervisorProc(t), startSupervisorProc(t)
	marker := fmt.Sprintf("sleep 9%d.5", os.Getpid()%1000)
	t.Cleanup(func() {
		for _, pid := range livingWith(marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	for i := range rounds {
		dir := job(t, Spec{Command: []string{"sh", "-c", marker + " & " + marker}, Env: os.Environ()})
		line, _ := json.Marshal(request{Op: "start", Key: fmt.Sprint("k", i), Dir: dir})
		// a takes the step first; b, handed it next, follows it.
		if _, err := a.in.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(10 * time.Second); !groupRecorded(dir); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("round %d: the step never started", i)
			}
		}
		if _, err := b.in.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
		line, _ = json.Marshal(request{Op: "kill", Key: fmt.Sprint("k", i), Reason: "stopped by the test"})
		if _, err := b.in.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
	}
	ra, rb := a.finish(t), b.finish(t)
	for i := range rounds {
		key := fmt.Sprint("k", i)
		if r := rb[key]; r == nil || r.Killed != "stopped by the test" {
			t.Errorf("round %d: the supervisor asked to kill reported %+v", i, r)
		}
		if r := ra[key]; r == nil || r.ExitCode != 128+int(syscall.SIGKILL) {
			t.Errorf("round %d: the other supervisor reported %+v", i, r)
		}
		for name, p := range map[string]*supervisorProc{"a": a, "b": b} {
			if !slices.ContainsFunc(p.notes, func(n notice) bool { return n.Key == key && n.Event == "started" }) {
				t.Errorf("round %d: supervisor %s never reported the step started", i, name)
			}
		}
	}
	if left := livingWith(marker); len(left) > 0 {
		t.Errorf("processes of killed steps survive: %v", left)
	}
}

// A supervisor that finds a step taken follows it; if the taker gives it
// back (it took a directory whose spec was being written again), the
// follower takes it and runs it.
func TestAStepGivenBackIsRunByItsFollower(t *testing.T) {
	dir := job(t, Spec{Command: []string{"sh", "-c", "echo ran >> count; echo out"}, Env: os.Environ()})
	pid := filepath.Join(dir, StateFile)
	writeState(t, dir, "claim "+selfIdentity())
	s := startServe(t)
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(dir, WorkDir, "count")); err == nil {
		t.Fatal("a supervisor ran a step another one had taken")
	}
	if err := os.Remove(pid); err != nil {
		t.Fatal(err)
	}
	r := s.result(t, "k", 20*time.Second)
	b, _ := os.ReadFile(filepath.Join(dir, WorkDir, "count"))
	if r.Stdout != "out\n" || string(b) != "ran\n" {
		t.Errorf("result %+v, count %q: want the step run once by its follower", r, b)
	}
	if onDisk, err := ReadResult(dir); err != nil || onDisk.Stdout != "out\n" {
		t.Errorf("the result on disk: %+v, %v", onDisk, err)
	}
	s.finish(t)
}

// groupRecorded says whether the step in dir has its process group on
// record.
func groupRecorded(dir string) bool {
	_, err := readGroup(dir)
	return err == nil
}

package executor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets this test binary be the step init, as the semaflow binary
// is: the supervisor under test starts os.Executable() exec --init.
var nobody = &StepUser{UID: 65534, GID: 65534}

// startIsolatedServe runs the supervisor in-process with steps as nobody.
func startIsolatedServe(t *testing.T) *served {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a step user needs root")
	}
	if _, err := CheckIsolation(mustExecutable(t)); err != nil {
		t.Skip(err)
	}
	s := startServeWith(t, Isolation{User: nobody})
	t.Cleanup(func() {
		_ = s.in.Close()
		if err := <-s.done; err != nil {
			t.Error(err)
		}
	})
	return s
}

func mustExecutable(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return self
}

func runIsolated(t *testing.T, spec Spec) (*Result, string) {
	t.Helper()
	s := startIsolatedServe(t)
	if spec.Env == nil {
		spec.Env = []string{"PATH=" + os.Getenv("PATH")}
	}
	dir := job(t, spec)
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, LogFile))
	return r, string(log)
}

// As root, a step runs as the step user in its own PID namespace, with
// its inputs written and its outputs read, and its exit code kept.
func TestIsolatedStepRunsAsStepUser(t *testing.T) {
	r, log := runIsolated(t, Spec{
		Command:    []string{"sh", "-c", `id -u; id -g; echo procs $(ls -d /proc/[0-9]* | wc -l); cat /tmp/in/data; echo out > /tmp/out; touch here; pwd; exit 3`},
		InputFiles: map[string]string{"/tmp/in/data": "input!\n"},
		Outputs:    []OutputFile{{Name: "out", Path: "/tmp/out"}},
	})
	if r.ExitCode != 3 || r.StartError != "" {
		t.Fatalf("result %+v\n%s", r, log)
	}
	lines := strings.Split(log, "\n")
	if len(lines) < 5 || lines[0] != "65534" || lines[1] != "65534" || lines[3] != "input!" {
		t.Fatalf("log:\n%s", log)
	}
	if f := strings.Fields(lines[2]); len(f) != 2 || f[1] != "3" && f[1] != "4" { // sh, its subshell, ls and maybe wc
		t.Errorf("the step sees other processes: %s", lines[2])
	}
	if r.Outputs["out"] != "out\n" {
		t.Errorf("outputs %+v missing %+v", r.Outputs, r.Missing)
	}
}

// The step's own directories belong to the step user, 0700; the step
// directory (its record and log) stays root's.
func TestIsolatedStepDirsBelongToTheStepUser(t *testing.T) {
	s := startIsolatedServe(t)
	dir := job(t, Spec{Command: []string{"echo", "hi"}, Env: []string{"PATH=" + os.Getenv("PATH")}})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	for _, d := range []string{TmpDir, WorkDir} {
		st, err := os.Stat(filepath.Join(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		if st.Mode().Perm() != 0o700 || sys.Uid != nobody.UID || sys.Gid != nobody.GID {
			t.Errorf("%s: mode %v owner %d:%d, want 0700 %s", d, st.Mode().Perm(), sys.Uid, sys.Gid, nobody)
		}
	}
	for _, f := range []string{StateFile, LogFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 0 || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v owner %d, want 0600 root's", f, st.Mode().Perm(), sys.Uid)
		}
	}
}

// Killing a step kills everything it started, even what left its process
// group; a deadline still ends it with its message.
func TestIsolatedKillAndDeadline(t *testing.T) {
	s := startIsolatedServe(t)
	dir := job(t, Spec{Command: []string{"sh", "-c", "setsid sleep 878 & sleep 878 & sleep 878; echo never"},
		Env: []string{"PATH=" + os.Getenv("PATH")}})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "started")
	time.Sleep(100 * time.Millisecond)
	s.send(t, request{Op: "kill", Key: "k", Reason: "stopped by the test"})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Killed != "stopped by the test" || r.ExitCode != 128+9 {
		t.Fatalf("result %+v", r)
	}
	if out, err := exec.Command("pgrep", "-f", "sleep 878").Output(); err == nil && len(out) > 0 {
		t.Fatalf("processes of the killed step survive: %s", out)
	}
	dir = job(t, Spec{Command: []string{"sleep", "30"}, Env: []string{"PATH=" + os.Getenv("PATH")},
		Deadline: time.Now().Add(300 * time.Millisecond), DeadlineMessage: "too slow"})
	s.send(t, request{Op: "start", Key: "d", Dir: dir})
	s.await(t, "d", "exited")
	if r, err := ReadResult(dir); err != nil || r.Killed != "too slow" {
		t.Fatalf("result %+v, %v", r, err)
	}
}

// Outputs are read so that a step cannot make root read for it: a link
// to a root-only file, a FIFO, /proc: all refused, none hangs (an output
// declared under /proc is refused before the step starts: steproot_test.go).
func TestIsolatedOutputsCannotReachRootFiles(t *testing.T) {
	secret := filepath.Join("/root", "semaflow-test-secret-"+filepath.Base(t.TempDir()))
	if err := os.WriteFile(secret, []byte("SECRET"), 0o600); err != nil {
		t.Skip(err)
	}
	defer os.Remove(secret)
	r, log := runIsolated(t, Spec{
		Command: []string{"sh", "-c", "ln -s " + secret + " /tmp/link; ln -s /proc/self/environ /tmp/env; mkfifo /tmp/fifo; " +
			"ln -s ../../../../../../.." + secret + " /tmp/rel"},
		Outputs: []OutputFile{{Name: "link", Path: "/tmp/link"}, {Name: "env", Path: "/tmp/env"},
			{Name: "fifo", Path: "/tmp/fifo"}, {Name: "direct", Path: secret}, {Name: "rel", Path: "/tmp/rel"}},
	})
	if r.ExitCode != 0 {
		t.Fatalf("result %+v\n%s", r, log)
	}
	for name, v := range r.Outputs {
		t.Errorf("output %s was read: %q", name, v)
	}
	if len(r.Missing) != 5 {
		t.Errorf("missing %+v", r.Missing)
	}
}

// An input artifact at a path root alone may write on the host (/etc/x)
// is the step's own, in its root: the step reads it, the host never gets
// it (TestIsolatedInputOutsideTmpIsTheSteps).
func TestIsolatedInputsAreWrittenAsTheStepUser(t *testing.T) {
	target := "/etc/semaflow-test-input-" + filepath.Base(t.TempDir())
	defer os.Remove(target)
	r, log := runIsolated(t, Spec{Command: []string{"cat", target}, InputFiles: map[string]string{target: "x"}})
	if _, err := os.Stat(target); err == nil {
		t.Fatalf("the input landed in /etc")
	}
	if r.StartError != "" || r.ExitCode != 0 || log != "x" {
		t.Fatalf("result %+v\n%s", r, log)
	}
}

func TestIsolatedMissingProgramIsAnExecError(t *testing.T) {
	r, _ := runIsolated(t, Spec{Command: []string{"no-such-program-abc"}})
	if r.StartError != "" || r.ExitCode != 64 || !strings.Contains(r.ExecError, `"no-such-program-abc": executable file not found`) {
		t.Fatalf("result %+v", r)
	}
}

// A file that is not executable is the step's failure too.
func TestIsolatedNonExecutableIsAnExecError(t *testing.T) {
	prog := filepath.Join(t.TempDir(), "not-a-program")
	if err := os.WriteFile(prog, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	r, _ := runIsolated(t, Spec{Command: []string{prog}})
	if r.StartError != "" || r.ExitCode != 64 || r.ExecError == "" {
		t.Fatalf("result %+v", r)
	}
}

// With a shared /tmp the step user still reaches its own tmp through
// TMPDIR, and a workingDir is made as the step user.
func TestIsolatedSharedTmpAndWorkingDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a step user needs root")
	}
	s := startServeWith(t, Isolation{User: nobody, SharedTmp: true})
	t.Cleanup(func() {
		_ = s.in.Close()
		if err := <-s.done; err != nil {
			t.Error(err)
		}
	})
	// Outside t.TempDir(): the step's directory's parent, hidden from it.
	parent, err := os.MkdirTemp("", "semaflow-wd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	if err := os.Chown(parent, int(nobody.UID), int(nobody.GID)); err != nil {
		t.Fatal(err)
	}
	wd := filepath.Join(parent, "wd")
	dir := job(t, Spec{Command: []string{"sh", "-c", `echo x > "$TMPDIR/f" && cat "$TMPDIR/f" && pwd && cat in`},
		Env: []string{"PATH=" + os.Getenv("PATH")}, WorkingDir: wd, InputFiles: map[string]string{wd + "/in": "input\n"}})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 0 || r.Stdout != "x\n"+wd+"\ninput\n" {
		t.Fatalf("result %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, TmpDir, "f")); err != nil {
		t.Fatalf("TMPDIR is not the step's own tmp: %v", err)
	}
}

// The host's world-writable scratch directories are the step's own: what
// one step writes to /dev/shm, /var/tmp or /run/lock neither reaches the
// host, nor outlives the step, nor shows to another step of the same
// user, running beside it.
func TestIsolatedStepHasItsOwnShmAndVarTmp(t *testing.T) {
	s := startIsolatedServe(t)
	name := fmt.Sprintf("semaflow-test-shm-%d", os.Getpid())
	var dirs []string
	for _, d := range []string{"/dev/shm", "/var/tmp", "/run/lock"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			dirs = append(dirs, d)
		}
	}
	var write, read strings.Builder
	for _, d := range dirs {
		f := d + "/" + name
		t.Cleanup(func() { _ = os.Remove(f) })
		fmt.Fprintf(&write, "echo secret > %s && chmod 600 %s && ", f, f)
		fmt.Fprintf(&read, "cat %s 2>/dev/null; ls -a %s; ", f, d)
	}
	env := []string{"PATH=" + os.Getenv("PATH")}
	first := job(t, Spec{Command: []string{"sh", "-c", write.String() + "echo written; sleep 60"}, Env: env})
	s.send(t, request{Op: "start", Key: "first", Dir: first})
	s.await(t, "first", "started")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if log, _ := os.ReadFile(filepath.Join(first, LogFile)); strings.Contains(string(log), "written") {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(first, LogFile))
			t.Fatalf("the first step did not write its files:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d + "/" + name); err == nil {
			t.Errorf("the step's file reached the host's %s", d)
		}
	}
	second := job(t, Spec{Command: []string{"sh", "-c", read.String()}, Env: env})
	s.send(t, request{Op: "start", Key: "second", Dir: second})
	s.await(t, "second", "exited")
	r, err := ReadResult(second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Stdout, name) || strings.Contains(r.Stdout, "secret") {
		t.Errorf("the second step sees the first's files:\n%s", r.Stdout)
	}
	s.send(t, request{Op: "kill", Key: "first", Reason: "done"})
	s.await(t, "first", "exited")
	for _, d := range dirs {
		if _, err := os.Stat(d + "/" + name); err == nil {
			t.Errorf("the step's file outlived it in the host's %s", d)
		}
	}
}

// A turn at the start gate is held only while a step starts: more
// long-running steps than the gate admits at once all run together, and
// every turn is given back, by a step that ran and by one that could not
// start.
func TestIsolatedStartGateIsHeldOnlyWhileStarting(t *testing.T) {
	s := startIsolatedServe(t)
	n := cap(startGate) + 2
	env := []string{"PATH=" + os.Getenv("PATH")}
	want := map[string]bool{"bad exited": true}
	for i := range n {
		s.send(t, request{Op: "start", Key: fmt.Sprint("k", i), Dir: job(t, Spec{Command: []string{"sleep", "600"}, Env: env})})
		want[fmt.Sprint("k", i, " started")] = true
	}
	s.send(t, request{Op: "start", Key: "bad", Dir: job(t, Spec{Command: []string{"/no/such/program"}, Env: env})})
	// Whatever happens, the sleeps end with the test.
	defer func() {
		for i := range n {
			s.send(t, request{Op: "kill", Key: fmt.Sprint("k", i), Reason: "done"})
		}
	}()
	awaitAll(t, s, want)
	for i := range n {
		s.send(t, request{Op: "kill", Key: fmt.Sprint("k", i), Reason: "done"})
		want[fmt.Sprint("k", i, " exited")] = true
	}
	awaitAll(t, s, want)
	if held := len(startGate); held != 0 {
		t.Fatalf("%d start turns still held after every step ended", held)
	}
}

// awaitAll waits for every "key event" in want, in any order, and
// empties want.
func awaitAll(t *testing.T, s *served, want map[string]bool) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for len(want) > 0 {
		select {
		case n, ok := <-s.notes:
			if !ok {
				t.Fatalf("supervisor closed while %d notices were awaited", len(want))
			}
			delete(want, n.Key+" "+n.Event)
		case <-timeout:
			t.Fatalf("never came: %v", want)
		}
	}
}

// What a step reaches as served programs (/tmp/.semaflow/semaflow) is the
// supervisor's own binary, here the test binary, which answers
// selfCheckArg: never the step init that bound it there.
const (
	selfCheckArg   = "semaflow-test-selfcheck"
	selfCheckReply = "the supervisor's binary"
)

func TestIsolatedServedProgramIsSemaflow(t *testing.T) {
	r, log := runIsolated(t, Spec{Command: []string{progSelf, selfCheckArg}, Programs: true})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != selfCheckReply+"\n" {
		t.Fatalf("result %+v\n%s", r, log)
	}
}

// The init runs as root: the step's environment is the step's, never the
// init's own (GODEBUG would make the init trace its start to the log;
// LD_PRELOAD would load a library of the workflow's into a dynamically
// linked semaflow).
func TestIsolatedInitIgnoresTheStepsEnvironment(t *testing.T) {
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", "echo $GODEBUG $STEP_VAR"},
		Env: []string{"PATH=" + os.Getenv("PATH"), "GODEBUG=inittrace=1", "STEP_VAR=mine"}})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != "inittrace=1 mine\n" || strings.Contains(log, "init internal/") {
		t.Fatalf("result %+v\n%s", r, log)
	}
}

// A name the workflow sets again (PATH, HOME, over the host's base) is the
// workflow's, once: programs that read an environment's first entry
// (glibc, Go, Python) must not see the host's.
func TestIsolatedStepSeesEachVariableOnce(t *testing.T) {
	r, log := runIsolated(t, Spec{Command: []string{"env"},
		Env: []string{"PATH=/nonexistent", "HOME=/host", "TMPDIR=/host-tmp", "PATH=" + os.Getenv("PATH"), "HOME=/wf"}})
	if r.StartError != "" || r.ExitCode != 0 {
		t.Fatalf("result %+v\n%s", r, log)
	}
	count := map[string]int{}
	for line := range strings.SplitSeq(r.Stdout, "\n") {
		name, _, _ := strings.Cut(line, "=")
		count[name]++
	}
	for _, name := range []string{"PATH", "HOME", "TMPDIR"} {
		if count[name] > 1 {
			t.Errorf("%s set %d times:\n%s", name, count[name], r.Stdout)
		}
	}
	if !strings.Contains(r.Stdout, "HOME=/wf\n") || !strings.Contains(r.Stdout, "PATH="+os.Getenv("PATH")+"\n") {
		t.Errorf("the workflow's HOME and PATH are not the step's:\n%s", r.Stdout)
	}
}

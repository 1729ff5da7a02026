package podrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The runner is run as a child of the test binary, as the step's program
// is: it kills its whole process group.
func TestMain(m *testing.M) {
	if plan := os.Getenv("PODRUN_TEST_PLAN"); plan != "" {
		var p Plan
		if err := json.Unmarshal([]byte(plan), &p); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		msg, err := os.Create(os.Getenv("PODRUN_TEST_MSG"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(Run(p, strings.Fields(os.Getenv("PODRUN_TEST_MAIN")), msg, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type ran struct {
	code           int
	stdout, stderr string
	msg            string
}

func runPlan(t *testing.T, p Plan, main string) ran {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	msg := filepath.Join(dir, "msg")
	cmd := exec.Command(os.Args[0])
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PODRUN_TEST_PLAN="+string(b), "PODRUN_TEST_MAIN="+main, "PODRUN_TEST_MSG="+msg)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	r := ran{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(msg); err == nil {
		r.msg = string(b)
	}
	return r
}

func sh(name, script string) Container {
	return Container{Name: name, Argv: []string{"sh", "-c", script}}
}

// Init containers run one after the other, before main, in the working
// directory main gets; their output goes to the log, not main's stdout.
func TestInitContainersRunInOrder(t *testing.T) {
	r := runPlan(t, Plan{Init: []Container{sh("one", "sleep 0.1; echo one >> order; echo init-out"), sh("two", "echo two >> order")}}, "cat order")
	if r.code != 0 || r.stdout != "one\ntwo\n" || !strings.Contains(r.stderr, "init-out") || r.msg != "" {
		t.Fatalf("%+v", r)
	}
}

// A failing init container ends the pod with its code, named in the
// message; nothing after it runs.
func TestFailingInitContainerStopsThePod(t *testing.T) {
	r := runPlan(t, Plan{Init: []Container{sh("fine", "true"), sh("bad", "exit 3"), sh("never", "echo never")}}, "echo main")
	if r.code != 3 || r.msg != "bad: Error (exit code 3)" || strings.Contains(r.stdout+r.stderr, "never") || strings.Contains(r.stdout, "main") {
		t.Fatalf("%+v", r)
	}
	r = runPlan(t, Plan{Init: []Container{{Name: "missing", Argv: []string{"no-such-program-semaflow"}}}}, "echo main")
	if r.code != execFailedCode || !strings.HasPrefix(r.msg, "missing: failed to find name in PATH") {
		t.Fatalf("%+v", r)
	}
}

// A sidecar starts before main and is killed once main ends, with what
// it started in the background, even a process that left its group.
func TestSidecarKilledWhenMainEnds(t *testing.T) {
	marker := "podrun-sidecar-" + strconv.Itoa(os.Getpid())
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	r := runPlan(t, Plan{Sidecars: []Container{
		sh("web", fmt.Sprintf("sleep 1000 & setsid sh -c 'sleep 1001; : %[2]s' & touch %[1]s; wait; : %[2]s", ready, marker)),
	}}, "sh "+writeScript(t, fmt.Sprintf("while ! test -f %s; do sleep 0.05; done; echo main-done", ready)))
	if r.code != 0 || r.stdout != "main-done\n" || r.msg != "" {
		t.Fatalf("%+v", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := withMarker(marker)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sidecar processes left: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A sidecar that fails before main ends fails the pod, as Argo's does;
// one that exits 0 does not.
func TestSidecarFailingEarly(t *testing.T) {
	r := runPlan(t, Plan{Sidecars: []Container{sh("crash", "exit 5")}}, "sleep 0.5")
	if r.code != 0 || r.msg != "crash: Error (exit code 5)" {
		t.Fatalf("%+v", r)
	}
	r = runPlan(t, Plan{Sidecars: []Container{sh("quick", "exit 0")}}, "sleep 0.3")
	if r.code != 0 || r.msg != "" {
		t.Fatalf("%+v", r)
	}
}

// Main's exit code is the pod's.
func TestMainExitCode(t *testing.T) {
	r := runPlan(t, Plan{Sidecars: []Container{sh("s", "sleep 100")}}, "sh "+writeScript(t, "exit 7"))
	if r.code != 7 || r.msg != "" {
		t.Fatalf("%+v", r)
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(p, []byte(body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func withMarker(marker string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(marker)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// A plan whose containers share a name, or take one Argo keeps for the
// pod's own (main, wait, init), is refused naming it: a sidecar named
// main would be blamed for main's result.
func TestPlanRefusesReservedAndRepeatedNames(t *testing.T) {
	c := func(name string) Container { return Container{Name: name, Argv: []string{"true"}} }
	for _, tc := range []struct {
		p    Plan
		says string
	}{
		{Plan{Sidecars: []Container{c("main")}}, `"main" is reserved`},
		{Plan{Init: []Container{c("wait")}}, `"wait" is reserved`},
		{Plan{Init: []Container{c("a")}, Sidecars: []Container{c("a")}}, `"a" is used twice`},
	} {
		if err := tc.p.Check(); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("plan %+v: %v, want an error saying %s", tc.p, err, tc.says)
		}
	}
}

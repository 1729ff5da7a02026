package executor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// initDir holds the semaflow-init buildInit made; TestMain removes it.
var initDir string

// buildInit builds cmd/semaflow-init once for the package's tests.
var buildInit = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "semaflow-init-")
	if err != nil {
		return "", err
	}
	initDir = dir
	path := filepath.Join(dir, InitBinary)
	out, err := exec.Command("go", "build", "-o", path, "github.com/semaflow/semaflow/cmd/semaflow-init").CombinedOutput()
	if err != nil {
		return "", errors.New(string(out))
	}
	return path, nil
})

func mustBuildInit(t *testing.T) string {
	t.Helper()
	path, err := buildInit()
	if err != nil {
		t.Fatalf("go build ./cmd/semaflow-init: %v", err)
	}
	return path
}

// The supervisor runs semaflow-init as root: only a file nobody else
// could have written is trusted.
func TestTrustedInit(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "semaflow")
	if err := os.WriteFile(self, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", 0o755)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, want string
	}{
		{good, ""},
		{write("readonly", 0o500), ""},
		{write("group-writable", 0o775), "writable by group or others"},
		{write("world-writable", 0o757), "writable by group or others"},
		{write("not-executable", 0o644), "not an executable regular file"},
		{link, "symbolic link"},
		{dir, "not an executable regular file"},
	}
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Chmod(filepath.Dir(open), 0o1777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(open, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct{ path, want string }{open, "which someone other than root or semaflow's owner may write"})
	above := filepath.Join(t.TempDir(), "above")
	if err := os.MkdirAll(filepath.Join(above, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(above, 0o777); err != nil { // writable, not sticky
		t.Fatal(err)
	}
	under := filepath.Join(above, "bin", "init")
	if err := os.WriteFile(under, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct{ path, want string }{under, "is under " + above})
	if os.Geteuid() == 0 {
		other := write("other-owner", 0o755)
		if err := os.Chown(other, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct{ path, want string }{other, "belongs to uid 12345"})
	}
	for _, c := range cases {
		err := trustedInit(c.path, self)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want trusted", filepath.Base(c.path), err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", filepath.Base(c.path), err, c.want)
		}
	}
	if err := trustedInit(filepath.Join(dir, "missing"), self); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v, want not exist", err)
	}
}

// stepInit takes semaflow-init beside semaflow when it passes its probe,
// and falls back to `semaflow exec --init`, saying why, when it does not.
func TestStepInitChoice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the step init's probe needs root")
	}
	built := mustBuildInit(t)
	dir := t.TempDir()
	self := filepath.Join(dir, "semaflow")
	if err := os.WriteFile(self, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	fallback := []string{self, "exec", "--init"}
	if argv, why := stepInit(self); strings.Join(argv, " ") != strings.Join(fallback, " ") || why != "" {
		t.Errorf("none beside: %q, %q; want the fallback, no reason", argv, why)
	}
	beside := filepath.Join(dir, InitBinary)
	b, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(beside, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if argv, why := stepInit(self); len(argv) != 1 || argv[0] != beside || why != "" {
		t.Errorf("beside: %q, %q; want %s", argv, why, beside)
	}
	// A program that is no step init is never run: a script answering
	// the probe as the init would is refused by what it is.
	if err := os.WriteFile(beside, []byte("#!/bin/sh\nprintf '"+stepinit.ProbeReply+"' >&3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if argv, why := stepInit(self); len(argv) != 3 || !strings.Contains(why, "is not semaflow's step init") {
		t.Errorf("not an init: %q, %q; want the fallback and why", argv, why)
	}
}

// An init built from other sources refuses the configuration, and says
// so, rather than misread it.
func TestStepInitRefusesAnotherBuild(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the step init needs root")
	}
	cmd := exec.Command(mustBuildInit(t), `{"probe":true,"build":"0123456789ab"}`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	_, err := startIsolated(cmd, nil)
	var ie errInit
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `built from other sources than the semaflow that started it (build "0123456789ab")`) {
		t.Fatalf("err %v, want the init's refusal", err)
	}
}

// The isolated steps' own tests, run again through semaflow-init rather
// than the test binary's `exec --init`: the same mounts, user, inputs,
// served programs, kills and exec errors.
func TestIsolatedThroughSemaflowInit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a step user needs root")
	}
	built := mustBuildInit(t)
	old := initBeside
	initBeside = func(string) string { return built }
	t.Cleanup(func() { initBeside = old })
	if c, err := confine(Isolation{User: nobody}); err != nil || len(c.init) != 1 || c.init[0] != built {
		t.Fatalf("the supervisor starts steps through %q (%v), want %s", c.init, err, built)
	}
	for name, test := range map[string]func(*testing.T){
		"RunsAsStepUser":              TestIsolatedStepRunsAsStepUser,
		"StepDirsBelongToTheStepUser": TestIsolatedStepDirsBelongToTheStepUser,
		"KillAndDeadline":             TestIsolatedKillAndDeadline,
		"OutputsCannotReachRootFiles": TestIsolatedOutputsCannotReachRootFiles,
		"InputsWrittenAsTheStepUser":  TestIsolatedInputsAreWrittenAsTheStepUser,
		"MissingProgram":              TestIsolatedMissingProgramIsAnExecError,
		"NonExecutable":               TestIsolatedNonExecutableIsAnExecError,
		"SharedTmpAndWorkingDir":      TestIsolatedSharedTmpAndWorkingDir,
		"OwnShmAndVarTmp":             TestIsolatedStepHasItsOwnShmAndVarTmp,
		"ArgosayWorkingDirectory":     TestIsolatedArgosayStepReachesItsWorkingDirectory,
		"ScriptWithServedPrograms":    TestIsolatedScriptWithServedPrograms,
		"InputOutsideTmp":             TestIsolatedInputOutsideTmpIsTheSteps,
		"WorkingDirNotOnHost":         TestIsolatedWorkingDirNotOnHost,
		"UnreachableWorkingDir":       TestIsolatedUnreachableWorkingDirIsPrivate,
		"VolumeShared":                TestIsolatedVolumeShared,
		"OutputInScratchDir":          TestIsolatedOutputInScratchDirIsNotTheHosts,
		"OutputDirectoryMade":         TestIsolatedOutputDirectoryIsMadeForTheStep,
		"ServedProgramIsSemaflow":     TestIsolatedServedProgramIsSemaflow,
		"InitIgnoresStepEnvironment":  TestIsolatedInitIgnoresTheStepsEnvironment,
		"EachVariableOnce":            TestIsolatedStepSeesEachVariableOnce,
	} {
		t.Run(name, test)
	}
}

package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runAsRoot runs spec under a supervisor that runs steps as root with a
// private /tmp, as `semaflow run` does as root.
func runAsRoot(t *testing.T, spec Spec) *Result {
	t.Helper()
	if os.Geteuid() != 0 || !namespacesAvailable() || !probePrivateTmp() {
		t.Skip("a step root needs root and mount namespaces")
	}
	s := startServe(t)
	t.Cleanup(func() {
		_ = s.in.Close()
		if err := <-s.done; err != nil {
			t.Error(err)
		}
	})
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
	return r
}

// hostName is a path of the host's that a test must not create.
func hostName(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("semaflow-test-%d-%s", os.Getpid(), filepath.Base(t.TempDir())))
	if _, err := os.Lstat(p); err == nil {
		t.Skipf("%s exists on this host", p)
	}
	t.Cleanup(func() { _ = os.RemoveAll(p) })
	return p
}

func assertAbsent(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was made on the host", p)
		}
	}
}

// An output under /dev, /dev/shm or /sys, which a step cannot have of its
// own without losing the host's devices or kernel files, is refused
// before the step runs, naming the output and its path; nothing is
// written there on the host.
func TestStepRootRefusesOutputsUnderKernelFilesystems(t *testing.T) {
	for _, dir := range []string{"/dev", "/dev/shm", "/sys/fs/cgroup"} {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		p := hostName(t, dir)
		r := runAsRoot(t, Spec{Command: []string{"sh", "-c", "echo x > " + p},
			Outputs: []OutputFile{{Name: "o", Path: p}}})
		if !strings.Contains(r.StartError, `output parameter "o"`) || !strings.Contains(r.StartError, p) {
			t.Errorf("%s: result %+v, want a start error naming the output and %s", dir, r, p)
		}
		assertAbsent(t, p)
	}
	r, log := runIsolated(t, Spec{Command: []string{"true"}, Outputs: []OutputFile{{Name: "env", Path: "/proc/self/environ"}}})
	if !strings.Contains(r.StartError, `output parameter "env": path /proc/self/environ lies under /proc`) {
		t.Errorf("as the step user: result %+v\n%s", r, log)
	}
}

// An output under a system directory does not hide that directory from
// the step: the step still runs its shell from /usr and reads /etc, and
// writes its outputs there privately.
func TestStepRootOutputUnderSystemDirHidesNothing(t *testing.T) {
	usr, etc := hostName(t, "/usr"), hostName(t, "/etc")
	r := runAsRoot(t, Spec{
		Command: []string{"sh", "-c", fmt.Sprintf("test -s /etc/passwd && ls /usr/bin >/dev/null && mkdir -p %s && echo u > %s/out && echo e > %s",
			usr, usr, etc)},
		Outputs: []OutputFile{{Name: "u", Path: usr + "/out"}, {Name: "e", Path: etc}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Outputs["u"] != "u\n" || r.Outputs["e"] != "e\n" {
		t.Errorf("result %+v", r)
	}
	assertAbsent(t, usr, etc)
}

// A workingDir the host lacks (an image's own directory, /src) is made in
// the step's own root, never on the host, and the step runs there.
func TestStepRootWorkingDirNotOnHost(t *testing.T) {
	wd := hostName(t, "/")
	r := runAsRoot(t, Spec{Command: []string{"sh", "-c", "pwd && echo x > f && cat f"}, WorkingDir: wd})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != wd+"\nx\n" {
		t.Errorf("result %+v", r)
	}
	assertAbsent(t, wd)
}

// As the step user too; an output written there is read from the step's
// root, confined to it.
func TestIsolatedWorkingDirNotOnHost(t *testing.T) {
	wd := hostName(t, "/")
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", "pwd && echo x > f && cat f && ln -s /etc/passwd link"}, WorkingDir: wd,
		Outputs: []OutputFile{{Name: "f", Path: wd + "/f"}, {Name: "link", Path: wd + "/link"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != wd+"\nx\n" || r.Outputs["f"] != "x\n" || r.Outputs["link"] != "" {
		t.Errorf("result %+v\n%s", r, log)
	}
	assertAbsent(t, wd)
}

// A step of an argosay image, chrooted into its own root, runs in a
// working directory it reaches by name: getcwd works.
func TestIsolatedArgosayStepReachesItsWorkingDirectory(t *testing.T) {
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", `pwd; cd "$(pwd)" && echo x > f && cat f`}, Argosay: true})
	if r.StartError != "" || r.ExitCode != 0 || !strings.HasSuffix(r.Stdout, "/"+WorkDir+"\nx\n") || strings.Contains(log, "getcwd") {
		t.Errorf("result %+v\n%s", r, log)
	}
}

// A script of an image with served programs runs as the step user: it
// can read its script, not change it.
func TestIsolatedScriptWithServedPrograms(t *testing.T) {
	for _, spec := range []Spec{{Argosay: true, Programs: true}, {Programs: true}} {
		spec.Command, spec.Script = []string{"sh"}, `[ -w "$0" ] && echo writable; echo ran`
		r, log := runIsolated(t, spec)
		if r.StartError != "" || r.ExitCode != 0 || r.Stdout != "ran\n" {
			t.Errorf("argosay %v: result %+v\n%s", spec.Argosay, r, log)
		}
	}
}

// A step user's /var/tmp and /run/lock are its own tmpfs, gone when its
// outputs are read: an output there is missing, never the host's file.
func TestIsolatedOutputInScratchDirIsNotTheHosts(t *testing.T) {
	if st, err := os.Stat("/var/tmp"); err != nil || !st.IsDir() {
		t.Skip("no /var/tmp")
	}
	p := hostName(t, "/var/tmp")
	if err := os.WriteFile(p, []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", "echo step > " + p}, Outputs: []OutputFile{{Name: "o", Path: p}}})
	if r.ExitCode != 0 || r.Outputs["o"] != "" || r.Missing["o"] == "" {
		t.Errorf("result %+v\n%s", r, log)
	}
}

// A workingDir the host has but the step user cannot reach (an image's
// /src that a root run left 0700) is the step's own too: it hides
// nothing the step could see, and the host's stays untouched.
func TestIsolatedUnreachableWorkingDirIsPrivate(t *testing.T) {
	wd := hostName(t, "/")
	if err := os.Mkdir(wd, 0o700); err != nil {
		t.Fatal(err)
	}
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", "pwd && echo x > f && cat f"}, WorkingDir: wd + "/sub"})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != wd+"/sub\nx\n" {
		t.Errorf("result %+v\n%s", r, log)
	}
	if ents, _ := os.ReadDir(wd); len(ents) != 0 {
		t.Errorf("the host's %s got %v", wd, ents)
	}
}

package executor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A workflow's volume is one directory on the host that every step
// mounting it sees at its mountPath, in the step's own mount namespace:
// what one step writes the next reads, and the host's path stays untouched.
func TestVolumeSharedBetweenSteps(t *testing.T) {
	at, vol := hostName(t, "/"), t.TempDir()
	m := []Mount{{Path: at, Volume: "work", Dir: vol}}
	r := runAsRoot(t, Spec{Command: []string{"sh", "-c", "echo one > " + at + "/f"}, Mounts: m})
	if r.StartError != "" || r.ExitCode != 0 {
		t.Fatalf("writer: %+v", r)
	}
	r = runAsRoot(t, Spec{Command: []string{"sh", "-c", "cat " + at + "/f; grep -q ' " + at + " ' /proc/mounts"}, Mounts: m,
		Outputs: []OutputFile{{Name: "f", Path: at + "/f"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != "one\n" || r.Outputs["f"] != "one\n" {
		t.Fatalf("reader: %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "f")); err != nil || string(b) != "one\n" {
		t.Errorf("the volume's directory holds %q, %v", b, err)
	}
	assertAbsent(t, at)
}

// An emptyDir is the step's own: two mounts of it in one step (two
// containers of a set) are one directory, and an emptyDir at /tmp is the
// step's private /tmp.
func TestEmptyDirIsTheSteps(t *testing.T) {
	a, b := hostName(t, "/"), hostName(t, "/mnt")
	if _, err := os.Stat("/mnt"); err != nil {
		b = hostName(t, "/")
	}
	r := runAsRoot(t, Spec{Command: []string{"sh", "-c", "echo x > " + a + "/f && cat " + b + "/f && ls /tmp >/dev/null"},
		Mounts: []Mount{{Path: a, Volume: "scratch"}, {Path: b, Volume: "scratch"}, {Path: "/tmp", Volume: "tmp"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != "x\n" {
		t.Fatalf("result %+v", r)
	}
	assertAbsent(t, a, b)
}

// subPath mounts a directory inside the volume (made if missing), and
// readOnly refuses writes; a subPath that is a link is refused.
func TestVolumeSubPathAndReadOnly(t *testing.T) {
	at, ro, vol := hostName(t, "/"), hostName(t, "/"), t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "keep"), []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runAsRoot(t, Spec{Command: []string{"sh", "-c", "echo s > " + at + "/f; cat " + ro + "/keep; echo no > " + ro + "/new && echo wrote"},
		Mounts: []Mount{{Path: at, Volume: "v", Dir: vol, SubPath: "a/b"}, {Path: ro, Volume: "v", Dir: vol, ReadOnly: true}}})
	if r.StartError != "" || r.Stdout != "k" {
		t.Fatalf("result %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "a", "b", "f")); err != nil || string(b) != "s\n" {
		t.Errorf("subPath a/b holds %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(vol, "new")); err == nil {
		t.Error("a read-only mount was written")
	}
	if err := os.Symlink("/etc", filepath.Join(vol, "link")); err != nil {
		t.Fatal(err)
	}
	r = runAsRoot(t, Spec{Command: []string{"true"}, Mounts: []Mount{{Path: at, Volume: "v", Dir: vol, SubPath: "link"}}})
	if !strings.Contains(r.StartError, `volume "v"`) || !strings.Contains(r.StartError, "link") {
		t.Errorf("a subPath through a link: %+v", r)
	}
	assertAbsent(t, at, ro)
}

// A mountPath that would cover the host's root, its kernel filesystems,
// or the step's own directories, or that is not a clean absolute path,
// is refused before the step runs, naming the volume and the path.
func TestVolumeHostileMountPathsRefused(t *testing.T) {
	vol := t.TempDir()
	for _, p := range []string{"/", "/proc", "/proc/x", "/sys", "/dev/x", "rel", "/a/../b", "/a/..", "/tmp"} {
		r := runAsRoot(t, Spec{Command: []string{"true"}, Mounts: []Mount{{Path: p, Volume: "v", Dir: vol}}})
		if !strings.Contains(r.StartError, `volume "v"`) || !strings.Contains(r.StartError, "mountPath") {
			t.Errorf("mountPath %q: %+v", p, r)
		}
	}
}

// Without a mount namespace of its own (no root, or a shared /tmp), a
// step with a volume fails with a clear error naming the volume.
func TestVolumeNeedsAMountNamespace(t *testing.T) {
	s := startServeWith(t, Isolation{SharedTmp: true})
	t.Cleanup(func() {
		_ = s.in.Close()
		if err := <-s.done; err != nil {
			t.Error(err)
		}
	})
	dir := job(t, Spec{Command: []string{"true"}, Env: []string{"PATH=" + os.Getenv("PATH")},
		Mounts: []Mount{{Path: "/mnt/data", Volume: "data", Dir: t.TempDir()}}})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.StartError, `volume "data"`) || !strings.Contains(r.StartError, "root") {
		t.Errorf("result %+v", r)
	}
}

// As the step user too, the volume is shared and the host untouched.
func TestIsolatedVolumeShared(t *testing.T) {
	at, vol := hostName(t, "/"), filepath.Join(t.TempDir(), "vol") // made by the first step, the step user's
	m := []Mount{{Path: at, Volume: "work", Dir: vol}, {Path: at + "-own", Volume: "own"}}
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", "echo one > " + at + "/f && echo two > " + at + "-own/g"}, Mounts: m,
		Outputs: []OutputFile{{Name: "g", Path: at + "-own/g"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Outputs["g"] != "two\n" {
		t.Fatalf("writer: %+v\n%s", r, log)
	}
	r, log = runIsolated(t, Spec{Command: []string{"cat", at + "/f"}, Mounts: m})
	if r.StartError != "" || r.ExitCode != 0 || r.Stdout != "one\n" {
		t.Fatalf("reader: %+v\n%s", r, log)
	}
	assertAbsent(t, at, at+"-own")
}

// A root step makes its output's directory itself, as in a container
// whose image lacks it (map-reduce.yaml's os.mkdir("/mnt/out")): the
// step root gives it room there without making the directory first, and
// the host's / is untouched.
func TestOutputDirectoryIsLeftForTheStepToMake(t *testing.T) {
	out := hostName(t, "/")
	r := runAsRoot(t, Spec{Command: []string{"sh", "-c", "mkdir " + out + " && echo x > " + out + "/x"},
		Outputs: []OutputFile{{Name: "x", Path: out + "/x"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Outputs["x"] != "x\n" {
		t.Errorf("result %+v", r)
	}
	assertAbsent(t, out)
}

// A step user, who cannot be given room in its copy of a root-owned
// directory, finds the directory made, its own, in the step's root, and
// the output is read from there.
func TestIsolatedOutputDirectoryIsMadeForTheStep(t *testing.T) {
	out := hostName(t, "/")
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", "echo x > " + out + "/x"},
		Outputs: []OutputFile{{Name: "x", Path: out + "/x"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Outputs["x"] != "x\n" {
		t.Errorf("result %+v\n%s", r, log)
	}
	assertAbsent(t, out)
}

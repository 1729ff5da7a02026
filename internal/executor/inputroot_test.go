package executor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A raw input artifact outside /tmp, for a step run as root with a private
// /tmp, is the step's own, in its root, as an output there would be: the
// step reads it, the host never gets it (neither a new directory like
// /output, nor a file in an existing one like /etc).
func TestRawInputOutsideTmpIsTheSteps(t *testing.T) {
	newDir := hostName(t, "/")
	inEtc := hostName(t, "/etc")
	p1, p2 := filepath.Join(newDir, "in.txt"), inEtc
	r := runAsRoot(t, Spec{Command: []string{"sh", "-c", "cat " + p1 + " " + p2 + " > /tmp/o"},
		InputFiles: map[string]string{p1: "one\n", p2: "two\n"},
		Outputs:    []OutputFile{{Name: "o", Path: "/tmp/o"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Outputs["o"] != "one\ntwo\n" {
		t.Errorf("result %+v, want the step to read its two inputs", r)
	}
	assertAbsent(t, newDir, inEtc)
}

// An input artifact under /dev (/dev/shm included), /proc or /sys is
// refused before the step runs, naming it; the host gets nothing there.
func TestRawInputUnderKernelFilesystemsRefused(t *testing.T) {
	if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
		t.Skip("no /dev/shm")
	}
	p := hostName(t, "/dev/shm")
	r := runAsRoot(t, Spec{Command: []string{"true"}, InputFiles: map[string]string{p: "x"}})
	if !strings.Contains(r.StartError, "input artifact") || !strings.Contains(r.StartError, p) ||
		!strings.Contains(r.StartError, "/dev") {
		t.Errorf("result %+v, want a start error naming the input at %s", r, p)
	}
	assertAbsent(t, p)
}

// A volume at or under semaflow's own paths in the step (its script and
// programs in /tmp/.semaflow, the pod runner's message), at a path with a
// name too long for the kernel, or through a link of the host's, is
// refused before the step runs, naming the volume and why.
func TestVolumeAtSemaflowsOwnPathsRefused(t *testing.T) {
	long := "/" + strings.Repeat("a", 300)
	cases := map[string]string{
		"/tmp/.semaflow": "semaflow's own", "/tmp/.semaflow/x": "semaflow's own",
		long: "longer than 255",
	}
	if l, err := os.Readlink("/bin"); err == nil && !strings.HasPrefix(l, "/") {
		cases["/bin/semaflow-test-x"] = "link"
	}
	for p, why := range cases {
		r := runAsRoot(t, Spec{Command: []string{"true"}, Mounts: []Mount{{Path: p, Volume: "v"}}})
		if !strings.Contains(r.StartError, `volume "v"`) || !strings.Contains(r.StartError, why) {
			t.Errorf("mountPath %.40q: start error %q, want one naming the volume and saying %q", p, r.StartError, why)
		}
	}
}

// An emptyDir is gone once its step ended, as with its pod: its
// directory in the step's is removed after the outputs are read (an
// output in it is still read), and by whoever adopts a step that ended
// under a supervisor that died before removing it.
func TestEmptyDirRemovedWhenTheStepEnds(t *testing.T) {
	if os.Geteuid() != 0 || !namespacesAvailable() || !probePrivateTmp() {
		t.Skip("volumes need root and mount namespaces")
	}
	s := startServe(t)
	t.Cleanup(func() {
		_ = s.in.Close()
		if err := <-s.done; err != nil {
			t.Error(err)
		}
	})
	at := hostName(t, "/")
	dir := job(t, Spec{Command: []string{"sh", "-c", "echo kept > " + at + "/o; head -c 100000 /dev/zero > " + at + "/big"},
		Env: []string{"PATH=" + os.Getenv("PATH")}, Mounts: []Mount{{Path: at, Volume: "scratch"}},
		Outputs: []OutputFile{{Name: "o", Path: at + "/o"}}})
	s.send(t, request{Op: "start", Key: "k", Dir: dir})
	s.await(t, "k", "exited")
	r, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outputs["o"] != "kept\n" {
		t.Errorf("result %+v, want the output read from the emptyDir", r)
	}
	if _, err := os.Lstat(filepath.Join(dir, VolumesDir)); err == nil {
		t.Errorf("%s is left after the step ended", filepath.Join(dir, VolumesDir))
	}
	// A step that ended under a supervisor that died before removing it.
	left := filepath.Join(dir, VolumesDir, "scratch", "f")
	if err := os.MkdirAll(filepath.Dir(left), 0o755); err != nil {
		t.Fatal(err)
	}
	if Adopt(dir, nil, nil) == nil {
		t.Fatal("no result adopted")
	}
	if _, err := os.Lstat(filepath.Join(dir, VolumesDir)); err == nil {
		t.Errorf("%s is left after adopting the step's end", filepath.Join(dir, VolumesDir))
	}
}

// A volume that cannot be set up in the step's namespace (its mount
// point lies through a link of the host's: /bin -> usr/bin) is the
// step's start error, naming the volume; it is not worded as the
// program's failure to run.
func TestVolumeSetupFailureNamesTheVolume(t *testing.T) {
	if l, err := os.Readlink("/bin"); err != nil || strings.HasPrefix(l, "/") {
		t.Skip("/bin is not a relative link here")
	}
	p := hostName(t, "/bin")
	r := runAsRoot(t, Spec{Command: []string{"true"}, Mounts: []Mount{{Path: p, Volume: "v"}}})
	if strings.HasPrefix(r.StartError, "cannot run") || !strings.Contains(r.StartError, `volume "v"`) ||
		!strings.Contains(r.StartError, "/bin, a link") {
		t.Errorf("start error %q, want it to begin with the volume and say the link", r.StartError)
	}
}

// As the step user too, inputs outside /tmp are the step's own in its
// root, and delivered there even where the user could not write (a
// directory the host lacks, /src; one of root's, /etc): as with Argo,
// whose executor places the inputs, not the step.
func TestIsolatedInputOutsideTmpIsTheSteps(t *testing.T) {
	newDir := hostName(t, "/")
	inEtc := hostName(t, "/etc")
	p1, p2 := filepath.Join(newDir, "in.txt"), inEtc
	r, log := runIsolated(t, Spec{Command: []string{"sh", "-c", "cat " + p1 + " " + p2 + " > /tmp/o"},
		InputFiles: map[string]string{p1: "one\n", p2: "two\n"},
		Outputs:    []OutputFile{{Name: "o", Path: "/tmp/o"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Outputs["o"] != "one\ntwo\n" {
		t.Errorf("result %+v, want the step to read its two inputs\n%s", r, log)
	}
	assertAbsent(t, newDir, inEtc)
}

// An emptyDir of medium Memory is a tmpfs of its sizeLimit: a write past
// it fails with no space; the supervisor still reads an output there, and
// the tmpfs is gone with the step.
func TestMemoryEmptyDirIsATmpfsOfItsSize(t *testing.T) {
	at := hostName(t, "/")
	r := runAsRoot(t, Spec{Command: []string{"sh", "-c",
		"grep -q \" " + at + " .* - tmpfs \" /proc/self/mountinfo || { echo not-tmpfs; exit 9; }; echo kept > " + at + "/o; " +
			"if head -c 3000000 /dev/zero > " + at + "/big; then echo fitted; exit 8; fi"},
		Mounts:  []Mount{{Path: at, Volume: "m", Memory: true, MemoryBytes: 1 << 20}},
		Outputs: []OutputFile{{Name: "o", Path: at + "/o"}}})
	if r.StartError != "" || r.ExitCode != 0 || r.Outputs["o"] != "kept\n" {
		t.Errorf("result %+v, want a 1 MiB tmpfs whose output is read", r)
	}
	assertAbsent(t, at)
}

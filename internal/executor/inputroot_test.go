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
		"/tmp/.semaflow-pod-message": "semaflow's own", long: "longer than 255",
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

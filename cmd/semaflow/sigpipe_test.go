package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// A step starts with SIGPIPE at its default action, as under a shell: a
// writer to a closed pipe dies of it (`while :; do echo y; done | head
// -n1` ends at once, not at its deadline). The supervisor must not pass
// on its own handling of the signal, which it needs to outlive its
// engine's pipe.
func TestStepsStartWithSIGPIPEDefault(t *testing.T) {
	wf := writeFile(t, "sigpipe.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sigpipe-}
spec:
  entrypoint: s
  templates:
  - name: s
    container: {image: alpine, command: [sh, -c, "grep SigIgn /proc/self/status"]}
`)
	modes := [][]string{{"--step-user", ""}}
	if os.Geteuid() == 0 {
		modes = append(modes, []string{"--step-user", "nobody"})
	}
	for _, mode := range modes {
		wfs, stderr, code := runJSON(t, append(mode, wf)...)
		if code != 0 || len(wfs) != 1 {
			t.Fatalf("run %v: exit %d\n%s", mode, code, stderr)
		}
		for _, n := range wfs[0].Status.Nodes {
			if n.Type != "Pod" || n.Outputs == nil || n.Outputs.Result == nil {
				continue
			}
			out := *n.Outputs.Result
			_, hex, ok := strings.Cut(strings.SplitN(out, "\n", 2)[0], "SigIgn:")
			ign, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if !ok || err != nil {
				t.Fatalf("run %v: no SigIgn in the step's output %q", mode, out)
			}
			if ign&(1<<(13-1)) != 0 {
				t.Errorf("run %v: the step starts with SIGPIPE ignored (SigIgn %s)", mode, strings.TrimSpace(hex))
			}
		}
	}
}

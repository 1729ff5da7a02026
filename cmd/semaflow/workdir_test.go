package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A step reaches its own working directory by name in every isolation
// mode, also when `semaflow run` keeps its data under /tmp (no --db),
// which the step's private /tmp would otherwise hide: `cd "$PWD"` works,
// and so does an interpreter that resolves its working directory.
func TestStepSeesItsWorkingDirectory(t *testing.T) {
	steps := `  - name: main
    steps:
    - - {name: sh, template: sh}
      - {name: py, template: py}
  - name: sh
    container: {image: x, command: [sh, -c, 'cd "$PWD" && pwd && echo ok > here && cat "$PWD/here"']}
`
	if _, err := exec.LookPath("python3"); err == nil {
		steps += `  - name: py
    script:
      image: python
      command: [python3]
      source: |
        import os
        os.chdir(os.getcwd())
        print(os.path.realpath("."))
`
	} else {
		steps = strings.Replace(steps, "\n      - {name: py, template: py}", "", 1)
	}
	wf := writeFile(t, "pwd.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: pwd-}\nspec:\n  entrypoint: main\n  templates:\n"+steps)
	modes := [][]string{{"--private-tmp=true"}, {"--private-tmp=false"}}
	if os.Geteuid() == 0 {
		modes = append(modes, []string{"--step-user", "nobody"}, []string{"--step-user", "nobody", "--private-tmp=false"})
	}
	for _, mode := range modes {
		wfs, stderr, code := runJSON(t, append(mode, wf)...)
		if code != 0 || len(wfs) != 1 {
			t.Errorf("run %v: exit %d\n%s", mode, code, stderr)
			continue
		}
		for _, n := range wfs[0].Status.Nodes {
			if n.Type != "Pod" {
				continue
			}
			if n.Phase != "Succeeded" || n.Outputs == nil || n.Outputs.Result == nil || !strings.HasSuffix(strings.TrimSuffix(*n.Outputs.Result, "\nok"), "/work") {
				var out string
				if n.Outputs != nil && n.Outputs.Result != nil {
					out = *n.Outputs.Result
				}
				t.Errorf("run %v: step %s %s (%s), printed %q; want its working directory, ending in /work", mode, n.DisplayName, n.Phase, n.Message, out)
			}
		}
	}
}

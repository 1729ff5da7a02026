package podrun

import (
	"errors"
	"fmt"
	"slices"
)

// MaxContainers bounds a plan's initContainers, and its sidecars.
const MaxContainers = 16

// Plan is what runs beside a step's main container.
type Plan struct {
	Init     []Container `json:"init,omitempty"`
	Sidecars []Container `json:"sidecars,omitempty"`
}

// Container is one process of the pod, its program resolved.
type Container struct {
	Name       string   `json:"name"`
	Argv       []string `json:"argv"`
	Env        []string `json:"env,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
}

// reserved are names Argo keeps for a pod's own containers: a sidecar
// named main would be taken for the template's.
var reserved = []string{"main", "wait", "init"}

// Check says what makes a plan unrunnable.
func (p *Plan) Check() error {
	if len(p.Init) > MaxContainers {
		return fmt.Errorf("%d initContainers: at most %d run per template", len(p.Init), MaxContainers)
	}
	if len(p.Sidecars) > MaxContainers {
		return fmt.Errorf("%d sidecars: at most %d run per template", len(p.Sidecars), MaxContainers)
	}
	seen := map[string]bool{}
	for _, cs := range [][]Container{p.Init, p.Sidecars} {
		for i, c := range cs {
			switch {
			case c.Name == "":
				return fmt.Errorf("container %d has no name", i)
			case slices.Contains(reserved, c.Name):
				return fmt.Errorf("container name %q is reserved for the pod's own containers (main, wait, init): rename it", c.Name)
			case seen[c.Name]:
				return fmt.Errorf("container name %q is used twice: names are unique within a template", c.Name)
			}
			seen[c.Name] = true
			if len(c.Argv) == 0 {
				return errors.New("container " + c.Name + " has neither a command nor args to run")
			}
		}
	}
	return nil
}

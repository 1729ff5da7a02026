package podrun

import (
	"errors"
	"fmt"
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

// Check says what makes a plan unrunnable.
func (p *Plan) Check() error {
	if len(p.Init) > MaxContainers {
		return fmt.Errorf("%d initContainers: at most %d run per template", len(p.Init), MaxContainers)
	}
	if len(p.Sidecars) > MaxContainers {
		return fmt.Errorf("%d sidecars: at most %d run per template", len(p.Sidecars), MaxContainers)
	}
	for _, cs := range [][]Container{p.Init, p.Sidecars} {
		for i, c := range cs {
			if c.Name == "" {
				return fmt.Errorf("container %d has no name", i)
			}
			if len(c.Argv) == 0 {
				return errors.New("container " + c.Name + " has neither a command nor args to run")
			}
		}
	}
	return nil
}

package containerset

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// MainContainer is the container whose stdout and outputs are the node's.
const MainContainer = "main"

// Plan is a container set as the runner reads it.
type Plan struct {
	Containers []Container `json:"containers"`
	// Attempts is how many times a failing container runs in all; Argo
	// gives containerSet.retryStrategy.retries as the steps of its
	// backoff, so retries: 2 means two runs. Less than 1 means 1.
	Attempts int `json:"attempts,omitempty"`
	// Pause is the time between a container's attempts.
	Pause time.Duration `json:"pause,omitempty"`
}

// Container is one process of the set, its program resolved.
type Container struct {
	Name         string   `json:"name"`
	Argv         []string `json:"argv"`
	Env          []string `json:"env,omitempty"`
	WorkingDir   string   `json:"workingDir,omitempty"`
	Dependencies []string `json:"dependencies,omitempty"`
}

// Check says what makes a plan unrunnable, as Argo's validation does:
// no containers, a name twice, an unknown dependency, a cycle.
func (p *Plan) Check() error {
	if len(p.Containers) == 0 {
		return errors.New("containerSet: containers must have at least one container")
	}
	byName := map[string]*Container{}
	for i := range p.Containers {
		c := &p.Containers[i]
		if c.Name == "" {
			return fmt.Errorf("containerSet: containers[%d] has no name", i)
		}
		if byName[c.Name] != nil {
			return fmt.Errorf("containerSet: container name %q appears twice", c.Name)
		}
		byName[c.Name] = c
	}
	for _, c := range p.Containers {
		for _, d := range c.Dependencies {
			if byName[d] == nil {
				return fmt.Errorf("containerSet: containers.%s dependency %q not defined", c.Name, d)
			}
		}
	}
	// Depth-first, each container entered once: bounded by the set.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("containerSet: dependency cycle %v", append(path, name))
		case 2:
			return nil
		}
		state[name] = 1
		for _, d := range byName[name].Dependencies {
			if err := visit(d, append(slices.Clone(path), name)); err != nil {
				return err
			}
		}
		state[name] = 2
		return nil
	}
	for _, c := range p.Containers {
		if err := visit(c.Name, nil); err != nil {
			return err
		}
	}
	return nil
}

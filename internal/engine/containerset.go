package engine

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/containerset"
	"github.com/semaflow/semaflow/internal/images"
)

// containerSetPlan is the runner's plan for a resolved containerSet, as
// JSON: each container's program from its command, args and image (the
// image table), its own env and workingDir, its dependencies, and the
// set's retryStrategy.
func containerSetPlan(cs *wfv1.ContainerSetTemplate, table *images.Table) (string, error) {
	var p containerset.Plan
	for _, cn := range cs.Containers {
		argv, err := table.Argv(cn.Image, cn.Command, cn.Args)
		if err != nil {
			return "", fmt.Errorf("containerSet container %q: %w", cn.Name, err)
		}
		c := containerset.Container{Name: cn.Name, Argv: argv, WorkingDir: cn.WorkingDir, Dependencies: cn.Dependencies}
		for _, ev := range cn.Env {
			c.Env = append(c.Env, ev.Name+"="+ev.Value)
		}
		p.Containers = append(p.Containers, c)
	}
	if rs := cs.RetryStrategy; rs != nil {
		if rs.Retries != nil {
			n, err := strconv.Atoi(rs.Retries.String())
			if err != nil {
				return "", fmt.Errorf("containerSet.retryStrategy.retries %q: want a number", rs.Retries.String())
			}
			p.Attempts = n
		}
		if rs.Duration != "" {
			d, err := time.ParseDuration(rs.Duration)
			if err != nil || d < 0 {
				return "", fmt.Errorf("containerSet.retryStrategy.duration %q: want a positive duration such as 5s", rs.Duration)
			}
			p.Pause = d
		}
	}
	if err := p.Check(); err != nil {
		return "", err
	}
	b, err := json.Marshal(p)
	return string(b), err
}

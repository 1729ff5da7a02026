package engine

import (
	"fmt"
	"strconv"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/images"
	"github.com/semaflow/semaflow/internal/podrun"
)

// podExtras adds to a step's spec what runs around its main container
// c: its initContainers and sidecars (a pod plan the step's pod runner
// carries out), and, for a daemon, its readinessProbe.
func podExtras(s *executor.Spec, t *wfv1.Template, c *wfv1.Container, table *images.Table) error {
	if t.Daemon != nil && *t.Daemon && c != nil && len(c.ReadinessProbe) > 0 {
		p, err := readinessProbe(c)
		if err != nil {
			return fmt.Errorf("template %q: container.readinessProbe: %w", t.Name, err)
		}
		s.Ready = p
	}
	if len(t.InitContainers)+len(t.Sidecars) == 0 {
		return nil
	}
	var plan podrun.Plan
	var err error
	if plan.Init, err = podContainers(t.InitContainers, "initContainers", table); err != nil {
		return err
	}
	if plan.Sidecars, err = podContainers(t.Sidecars, "sidecars", table); err != nil {
		return err
	}
	if err := plan.Check(); err != nil {
		return fmt.Errorf("template %q: %w", t.Name, err)
	}
	s.Pod = &plan
	// The runner is served as argosay is, and so are the containers'
	// image programs.
	s.Programs = true
	for _, cn := range append(append([]wfv1.Container{}, t.InitContainers...), t.Sidecars...) {
		s.Argosay = s.Argosay || table.IsArgosay(cn.Image)
	}
	return nil
}

func podContainers(cs []wfv1.Container, field string, table *images.Table) ([]podrun.Container, error) {
	out := make([]podrun.Container, 0, len(cs))
	for i, cn := range cs {
		argv, err := table.Argv(cn.Image, cn.Command, cn.Args)
		if err != nil {
			return nil, fmt.Errorf("%s[%d] %q: %w", field, i, cn.Name, err)
		}
		pc := podrun.Container{Name: cn.Name, Argv: argv, WorkingDir: cn.WorkingDir}
		if pc.Name == "" {
			pc.Name = fmt.Sprintf("%s[%d]", field, i)
		}
		for _, ev := range cn.Env {
			pc.Env = append(pc.Env, ev.Name+"="+ev.Value)
		}
		out = append(out, pc)
	}
	return out, nil
}

// readinessProbe reads a container's readinessProbe: httpGet or
// tcpSocket (lint warns that exec and grpc are not made; such a daemon is
// ready once started).
func readinessProbe(c *wfv1.Container) (*executor.Probe, error) {
	rp := map[string]any(c.ReadinessProbe)
	p := &executor.Probe{}
	var target map[string]any
	switch {
	case rp["httpGet"] != nil:
		target, _ = rp["httpGet"].(map[string]any)
		if target == nil {
			return nil, fmt.Errorf("httpGet: want an object")
		}
		p.Path, _ = target["path"].(string)
		if p.Path == "" || p.Path[0] != '/' {
			p.Path = "/" + p.Path
		}
		p.Scheme, _ = target["scheme"].(string)
		if hs, ok := target["httpHeaders"].([]any); ok {
			p.Headers = map[string]string{}
			for _, h := range hs {
				if m, ok := h.(map[string]any); ok {
					name, _ := m["name"].(string)
					value, _ := m["value"].(string)
					if name != "" {
						p.Headers[name] = value
					}
				}
			}
		}
	case rp["tcpSocket"] != nil:
		target, _ = rp["tcpSocket"].(map[string]any)
		if target == nil {
			return nil, fmt.Errorf("tcpSocket: want an object")
		}
		p.TCP = true
	default:
		return nil, nil
	}
	port, err := probePort(target["port"], c.Ports)
	if err != nil {
		return nil, err
	}
	p.Port = port
	p.InitialDelay = seconds(rp["initialDelaySeconds"])
	p.Period = seconds(rp["periodSeconds"])
	p.Timeout = seconds(rp["timeoutSeconds"])
	return p, nil
}

// probePort is a probe's port: a number, or the name of one of the
// container's ports.
func probePort(v any, ports []wfv1.Object) (int, error) {
	n, ok := number(v)
	if name, isName := v.(string); isName && !ok {
		for _, p := range ports {
			if pn, _ := p["name"].(string); pn == name {
				n, ok = number(p["containerPort"])
			}
		}
		if !ok {
			return 0, fmt.Errorf("port %q: no container port has that name", name)
		}
	}
	if !ok || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %v: want a number from 1 to 65535, or a container port's name", v)
	}
	return n, nil
}

// number reads a whole number from a manifest value.
func number(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), x == float64(int(x))
	case int:
		return x, true
	case int64:
		return int(x), true
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

// seconds reads a probe's whole number of seconds; out of range is the
// default (zero).
func seconds(v any) time.Duration {
	n, ok := number(v)
	if !ok || n <= 0 || n > 86400 {
		return 0
	}
	return time.Duration(n) * time.Second
}

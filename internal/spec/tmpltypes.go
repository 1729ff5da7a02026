package spec

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// httpMaxTimeoutSeconds is reconcile.HTTPMaxTimeout: the engine holds an
// http template's request at most this long.
const httpMaxTimeoutSeconds = 600

// checkHTTP reports what an http template asks that cannot run here.
func checkHTTP(d *Document, path string, h *wfv1.HTTP) {
	path += ".http"
	if strings.TrimSpace(h.URL) == "" {
		d.errorAt(path+".url", "the http template needs a url")
	}
	if n := h.TimeoutSeconds; n != nil && (*n <= 0 || *n > httpMaxTimeoutSeconds) {
		d.errorAt(path+".timeoutSeconds", "timeoutSeconds %d is out of range: give 1 to %d (default 30)", *n, httpMaxTimeoutSeconds)
	}
	for i, hd := range h.Headers {
		if len(hd.ValueFrom) > 0 {
			// Unhonoured: --no-lint runs it, and the node ends Error.
			p := fmt.Sprintf("%s.headers[%d].valueFrom", path, i)
			d.addDiag(Diagnostic{Pos: d.KeyPos(p), Path: p, Severity: SeverityError, Unhonoured: true,
				Message: fmt.Sprintf("header %q: valueFrom.secretKeyRef needs a Kubernetes secret, and semaflow has no secret store; "+
					"give the header a value (for example from a workflow parameter)", hd.Name)})
		}
	}
}

// checkContainerSet reports what Argo refuses in a containerSet: no
// containers, a name twice, a dependency on no container, a cycle.
func checkContainerSet(d *Document, path string, cs *wfv1.ContainerSetTemplate) {
	path += ".containerSet"
	if len(cs.Containers) == 0 {
		d.errorAt(path+".containers", "a containerSet needs at least one container")
		return
	}
	deps := map[string][]string{}
	for i, c := range cs.Containers {
		if _, dup := deps[c.Name]; dup {
			d.errorAt(fmt.Sprintf("%s.containers[%d].name", path, i), "container name %q is used twice", c.Name)
		}
		deps[c.Name] = c.Dependencies
	}
	for i, c := range cs.Containers {
		for j, dep := range c.Dependencies {
			if _, ok := deps[dep]; !ok {
				d.errorAt(fmt.Sprintf("%s.containers[%d].dependencies[%d]", path, i, j), "dependency %q is not a container of this set", dep)
			}
		}
	}
	if cycle := depCycle(cs.Containers, deps); cycle != nil {
		d.errorAt(path+".containers", "the containers' dependencies form a cycle: %s", strings.Join(cycle, " -> "))
	}
}

// depCycle finds one dependency cycle; nil if there is none. Each
// container is entered once, so it is bounded by the set's size.
func depCycle(cs []wfv1.ContainerNode, deps map[string][]string) []string {
	state := map[string]int{} // 1: on the path, 2: done
	var path []string
	var visit func(string) []string
	visit = func(n string) []string {
		switch state[n] {
		case 1:
			for i, p := range path {
				if p == n {
					return append(append([]string{}, path[i:]...), n)
				}
			}
		case 2:
			return nil
		}
		state[n] = 1
		path = append(path, n)
		for _, dep := range deps[n] {
			if _, ok := deps[dep]; ok {
				if c := visit(dep); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = 2
		return nil
	}
	for _, c := range cs {
		if cycle := visit(c.Name); cycle != nil {
			return cycle
		}
	}
	return nil
}

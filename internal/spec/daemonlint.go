package spec

import (
	"fmt"
	"maps"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// daemonHandlers refuses a daemon template used as an exit handler or a
// lifecycle hook: a daemon runs until its scope ends, and an exit
// handler's or hook's scope waits for it to end, so the workflow would
// never finish. Argo has no use for one either (a daemon is killed only
// once the steps after it are done, and a handler has none after it).
func (w *unhonouredWalk) daemonHandlers() {
	s, base := w.spec, w.base
	daemon := func(name string) bool {
		for i := range s.Templates {
			if t := &s.Templates[i]; t.Name == name {
				return t.Daemon != nil && *t.Daemon
			}
		}
		return false
	}
	check := func(p, role, name string) {
		if name != "" && daemon(name) {
			w.errorf(p, "daemon template %q cannot be %s: a daemon runs until the steps after it end, and %s has none, "+
				"so the workflow would never finish; use a template that ends", name, role, role)
		}
	}
	hooks := func(p string, hs map[string]wfv1.LifecycleHook) {
		for _, k := range slices.Sorted(maps.Keys(hs)) {
			check(p+".hooks."+k+".template", "a lifecycle hook", hs[k].Template)
		}
	}
	check(base+".onExit", "an exit handler", s.OnExit)
	hooks(base, s.Hooks)
	for ti := range s.Templates {
		t := &s.Templates[ti]
		tp := fmt.Sprintf("%s.templates[%d]", base, ti)
		for gi, group := range t.Steps {
			for si := range group {
				sp := fmt.Sprintf("%s.steps[%d][%d]", tp, gi, si)
				check(sp+".onExit", "an exit handler", group[si].OnExit)
				hooks(sp, group[si].Hooks)
			}
		}
		if t.DAG != nil {
			for i := range t.DAG.Tasks {
				dp := fmt.Sprintf("%s.dag.tasks[%d]", tp, i)
				check(dp+".onExit", "an exit handler", t.DAG.Tasks[i].OnExit)
				hooks(dp, t.DAG.Tasks[i].Hooks)
			}
		}
	}
}

// maxProbeSeconds is the longest probe time semaflow takes (a day);
// outside 1 to it, the default is used.
const maxProbeSeconds = 86400

// probeFields reports a daemon's readinessProbe fields that are not made
// as written: a host other than the loopback address (the probe is made
// against 127.0.0.1, where the step listens), a Host header (Go's client
// does not send one set that way), a port out of range, times out of
// range.
func (w *unhonouredWalk) probeFields(rp wfv1.Object, at string) {
	for _, kind := range []string{"httpGet", "tcpSocket"} {
		target, ok := rp[kind].(map[string]any)
		if !ok {
			continue
		}
		tp := at + "." + kind
		if h, _ := target["host"].(string); h != "" && !loopback(h) {
			w.warn(tp+".host", kind+".host", fmt.Sprintf("the probe is made against 127.0.0.1, where the step listens, not %q", h))
		}
		if hs, ok := target["httpHeaders"].([]any); ok {
			for i, h := range hs {
				m, _ := h.(map[string]any)
				name, _ := m["name"].(string)
				if strings.EqualFold(name, "host") {
					w.warn(fmt.Sprintf("%s.httpHeaders[%d]", tp, i), "httpGet.httpHeaders Host", "the probe's Host is 127.0.0.1:PORT")
				}
			}
		}
		if n, ok := probeNumber(target["port"]); ok && (n < 1 || n > 65535) {
			w.errorf(tp+".port", "readinessProbe.%s.port %v: want a number from 1 to 65535, or a container port's name", kind, target["port"])
		}
	}
	for _, f := range []string{"initialDelaySeconds", "periodSeconds", "timeoutSeconds"} {
		v, ok := rp[f]
		if !ok {
			continue
		}
		if n, isNum := probeNumber(v); !isNum || n < 0 || n > maxProbeSeconds || (n == 0 && f != "initialDelaySeconds") {
			w.warn(at+"."+f, "readinessProbe."+f+" "+fmt.Sprint(v),
				fmt.Sprintf("semaflow takes 1 to %d seconds; the default is used", maxProbeSeconds))
		}
	}
}

func loopback(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && ip.IsLoopback()
}

// probeNumber reads a whole number from a manifest value (a string one
// is a port's name, not a number).
func probeNumber(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), x == float64(int64(x))
	case int:
		return int64(x), true
	case int64:
		return x, true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// inputPaths refuses input artifact paths under the kernel's
// filesystems, where a step cannot have a file of its own.
func (w *unhonouredWalk) inputPaths(arts []wfv1.Artifact, at string) {
	for i, a := range arts {
		if strings.Contains(a.Path, "{{") || !strings.HasPrefix(a.Path, "/") {
			continue
		}
		for _, k := range kernelMounts {
			if c := path.Clean(a.Path); c == k || strings.HasPrefix(c, k+"/") {
				w.errorf(fmt.Sprintf("%s[%d].path", at, i), "input artifact %q: path %s lies under %s, which a step cannot have "+
					"of its own: put it under /tmp or the working directory", a.Name, a.Path, k)
			}
		}
	}
}

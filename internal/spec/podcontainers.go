package spec

import (
	"fmt"
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
)

// MaxPodContainers bounds a template's initContainers, and its sidecars:
// each is a process of the step, started by its pod runner.
const MaxPodContainers = 16

// ctrRole is what a container is to its template, for lint.
type ctrRole int

const (
	ctrMain   ctrRole = iota
	ctrDaemon         // a daemon template's main container
	// ctrBeside: an init container or sidecar, a process of the step that
	// sees the step's mounts (so mirrorVolumeMounts always holds).
	ctrBeside
)

func mainRole(daemon bool) ctrRole {
	if daemon {
		return ctrDaemon
	}
	return ctrMain
}

// podContainers reports a template's initContainers and sidecars past
// the bound, and their own unhonoured fields. They run as processes of
// the step (internal/podrun), so they are honoured.
func (w *unhonouredWalk) podContainers(t *wfv1.Template, path string) {
	name := strconv.Quote(t.Name)
	for _, kind := range []struct {
		field string
		cs    []wfv1.Container
	}{{"initContainers", t.InitContainers}, {"sidecars", t.Sidecars}} {
		if len(kind.cs) > MaxPodContainers {
			w.errorf(path+"."+kind.field, "template %s has %d %s: semaflow runs at most %d per template",
				name, len(kind.cs), kind.field, MaxPodContainers)
		}
		for i := range kind.cs {
			w.container(&kind.cs[i], fmt.Sprintf("%s.%s[%d]", path, kind.field, i), ctrBeside)
		}
	}
}

// daemonProbe reports what of a daemon's readinessProbe is not made:
// httpGet and tcpSocket are, from the supervisor, against 127.0.0.1.
func (w *unhonouredWalk) daemonProbe(c *wfv1.Container, path string) {
	w.probeFields(c.ReadinessProbe, path+".readinessProbe")
	for _, kind := range []string{"exec", "grpc"} {
		if _, ok := c.ReadinessProbe[kind]; ok {
			w.warn(path+".readinessProbe."+kind, "readinessProbe."+kind, "only httpGet and tcpSocket probes are made; "+
				"the daemon is ready once started")
		}
	}
}

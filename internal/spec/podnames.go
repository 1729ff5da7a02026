package spec

import (
	"fmt"
	"path"
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
)

// reservedContainers are names Argo keeps for a pod's own containers:
// main is the template's, wait and init its executor's. A sidecar named
// main would be taken for the main container.
var reservedContainers = []string{"main", "wait", "init"}

// checkLabel says why name is not a DNS-1123 label ("" when it is).
func checkLabel(name string) string {
	if len(name) > MaxNamespaceLength || !dns1123Label.MatchString(name) {
		return "must be a DNS-1123 label (lower-case letters, digits and '-', at most 63, starting and ending alphanumeric)"
	}
	return ""
}

// containerNames reports init containers and sidecars whose names are
// not DNS-1123 labels, reserved, or used twice in the template: a name
// is how the pod runner and its messages tell them apart.
func (w *unhonouredWalk) containerNames(t *wfv1.Template, path string) {
	seen := map[string]string{}
	for _, kind := range []struct {
		field string
		cs    []wfv1.Container
	}{{"initContainers", t.InitContainers}, {"sidecars", t.Sidecars}} {
		for i, c := range kind.cs {
			p := fmt.Sprintf("%s.%s[%d].name", path, kind.field, i)
			if c.Name == "" {
				continue // Kubernetes' required field; the runner names it by index
			}
			q := strconv.Quote(c.Name)
			switch {
			case checkLabel(c.Name) != "":
				w.errorf(p, "container name %s %s", q, checkLabel(c.Name))
			case isReservedContainer(c.Name):
				w.errorf(p, "container name %s is reserved (Argo keeps main, wait and init for the pod's own containers; "+
					"a %s named main would be taken for the template's): rename it", q, kind.field[:len(kind.field)-1])
			case seen[c.Name] != "":
				w.errorf(p, "container name %s is used by %s too: names must be unique within the template", q, seen[c.Name])
			default:
				seen[c.Name] = fmt.Sprintf("%s[%d]", kind.field, i)
			}
		}
	}
}

func isReservedContainer(name string) bool {
	for _, r := range reservedContainers {
		if name == r {
			return true
		}
	}
	return false
}

// volumeNames reports declared volumes whose names are not DNS-1123
// labels or are declared twice among the workflow's volumes and
// volumeClaimTemplates (a mount would take whichever comes first), and
// claims whose names could not name a directory.
func (w *unhonouredWalk) volumeNames() {
	s, base := w.spec, w.base
	seen := map[string]bool{}
	check := func(p, name string) {
		q := strconv.Quote(name)
		switch {
		case name == "":
		case checkLabel(name) != "":
			w.errorf(p, "volume name %s %s", q, checkLabel(name))
		case seen[name]:
			w.errorf(p, "volume %s is declared twice (in volumes and volumeClaimTemplates): a mount would get only one of them; rename one", q)
		}
		seen[name] = true
	}
	for i, v := range s.Volumes {
		check(fmt.Sprintf("%s.volumes[%d].name", base, i), v.Name)
	}
	for i, v := range s.VolumeClaimTemplates {
		check(fmt.Sprintf("%s.volumeClaimTemplates[%d].metadata.name", base, i), claimTemplateName(v))
	}
}

// templateVolumeNames is volumeNames for a template's own volumes.
func (w *unhonouredWalk) templateVolumeNames(t *wfv1.Template, p string) {
	seen := map[string]bool{}
	for i, v := range t.Volumes {
		fp := fmt.Sprintf("%s.volumes[%d].name", p, i)
		q := strconv.Quote(v.Name)
		switch {
		case v.Name == "":
		case checkLabel(v.Name) != "":
			w.errorf(fp, "volume name %s %s", q, checkLabel(v.Name))
		case seen[v.Name]:
			w.errorf(fp, "volume %s is declared twice in the template's volumes: a mount would get only one of them; rename one", q)
		}
		seen[v.Name] = true
	}
}

// claimName reports a persistentVolumeClaim's claimName that is not a
// DNS-1123 subdomain: it names the workflow's directory of the claim.
func (w *unhonouredWalk) claimName(v *wfv1.Volume, p string) bool {
	claim, _ := v.PersistentVolumeClaim["claimName"].(string)
	if len(claim) <= MaxNameLength && dns1123Subdomain.MatchString(claim) && path.Clean(claim) == claim {
		return true
	}
	w.errorf(p+".persistentVolumeClaim.claimName", "claimName %q of volume %q must be a DNS-1123 subdomain "+
		"(lower-case letters, digits, '-' and '.', at most %d)", claim, v.Name, MaxNameLength)
	return false
}

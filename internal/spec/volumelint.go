package spec

import (
	"fmt"
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
)

// volumeSource reports a declared volume whose source semaflow does not
// honour as Argo would (volumes.go).
func (w *unhonouredWalk) volumeSource(v *wfv1.Volume, path string) {
	name := strconv.Quote(v.Name)
	switch kind := VolumeKind(v); kind {
	case VolumeEmptyDir:
		w.emptyDirFields(v, path)
	case VolumeClaim:
		if !w.claimName(v, path) {
			return
		}
		claim, _ := v.PersistentVolumeClaim["claimName"].(string)
		w.out = append(w.out, Unhonoured{Path: path + "." + kind, Severity: SeverityWarning,
			Message: fmt.Sprintf("persistentVolumeClaim %q is a directory of each workflow's own: what one workflow writes there, "+
				"the next does not see (it is removed with the workflow); volume %s is shared by this workflow's steps", claim, name)})
	case "hostPath":
		w.errorf(path+"."+kind, "hostPath volumes are not supported by semaflow: volume %s would give steps a directory of the host "+
			"(a manifest must not reach the host's files); use an emptyDir or a volumeClaimTemplate", name)
	default:
		w.errorf(path+"."+kind, "%s volumes are not supported by semaflow yet: volume %s would be an empty directory, "+
			"not what the %s holds; semaflow has emptyDir, persistentVolumeClaim and volumeClaimTemplates", kind, name, kind)
	}
}

// volumeMounts reports the mounts of t that a step could not have: a
// hostile or unsupported path, or a volume declared nowhere.
func (w *unhonouredWalk) volumeMounts(t *wfv1.Template, path string) {
	ms, paths := MountedBy(t, path)
	for i, m := range ms {
		w.mounted[m.Name] = true
		if field, msg := CheckMount(m); msg != "" {
			w.errorf(paths[i]+"."+field, "%s", msg)
			continue
		}
		if _, ok := ResolveVolume(w.spec, t, m.Name); !ok && w.standalone {
			w.errorf(paths[i]+".name", "volume %q is not declared (in volumes or volumeClaimTemplates): the step would fail to start", m.Name)
		}
	}
}

// emptyDirFields reports what of an emptyDir is not made: a medium but
// Memory (a tmpfs, as root), and a sizeLimit without it (the volume is
// then a directory on the data directory's disk, as large as it has room).
func (w *unhonouredWalk) emptyDirFields(v *wfv1.Volume, path string) {
	m, _ := v.EmptyDir["medium"].(string)
	if m != "" && m != "Memory" {
		w.warn(path+".emptyDir.medium", "emptyDir.medium "+strconv.Quote(m)+" of volume "+strconv.Quote(v.Name),
			"the volume is a directory on the data directory's disk (medium Memory is a tmpfs)")
	}
	limit, ok := v.EmptyDir["sizeLimit"]
	if !ok {
		return
	}
	if _, err := ParseBytes(limit); err != nil {
		w.errorf(path+".emptyDir.sizeLimit", "emptyDir.sizeLimit of volume %q: %v", v.Name, err)
		return
	}
	if m != "Memory" {
		w.out = append(w.out, Unhonoured{Path: path + ".emptyDir.sizeLimit", Severity: SeverityWarning,
			Message: "emptyDir.sizeLimit of volume " + strconv.Quote(v.Name) + " is not enforced: the volume is a directory " +
				"on the data directory's disk, and may fill it (with medium: Memory it is a tmpfs of that size)"})
	}
}

// claimStorage warns that a volumeClaimTemplate's storage request is
// not enforced.
func (w *unhonouredWalk) claimStorage(v wfv1.Object, path string) {
	spec, _ := v["spec"].(map[string]any)
	res, _ := spec["resources"].(map[string]any)
	req, _ := res["requests"].(map[string]any)
	if _, ok := req["storage"]; ok {
		w.out = append(w.out, Unhonoured{Path: path + ".spec.resources.requests.storage", Severity: SeverityWarning,
			Message: "resources.requests.storage of volume claim template " + strconv.Quote(claimTemplateName(v)) +
				" is not enforced: the claim is a directory on the data directory's disk, as large as it has room"})
	}
}

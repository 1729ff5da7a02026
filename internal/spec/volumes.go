package spec

import (
	"fmt"
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Volumes as semaflow honours them (README "Volumes and the step's own
// paths"): an emptyDir is a directory of the step's own; a
// volumeClaimTemplate and a persistentVolumeClaim are a directory of the
// workflow's, shared by its steps and removed with it. Any other source
// would give the step an empty directory where it expects data, so it is
// an error; hostPath most of all, which would hand a manifest the host's
// files.

// Volume kinds a mount resolves to.
const (
	VolumeEmptyDir      = "emptyDir"
	VolumeClaim         = "persistentVolumeClaim"
	VolumeClaimTemplate = "volumeClaimTemplate"
)

// VolumeKind is the source v names (its first set field). A volume with
// none is an emptyDir: `emptyDir: {}` is empty, and an empty source does
// not survive the JSON round trip of a resolved template.
func VolumeKind(v *wfv1.Volume) string {
	for _, k := range []struct {
		name string
		set  wfv1.Object
	}{
		{VolumeEmptyDir, v.EmptyDir}, {VolumeClaim, v.PersistentVolumeClaim}, {"hostPath", v.HostPath},
		{"configMap", v.ConfigMap}, {"secret", v.Secret}, {"projected", v.Projected}, {"downwardAPI", v.DownwardAPI},
		{"ephemeral", v.Ephemeral}, {"nfs", v.NFS}, {"csi", v.CSI}, {"image", v.Image},
	} {
		if k.set != nil {
			return k.name
		}
	}
	return VolumeEmptyDir
}

// VolumeSource is what a volumeMount's name resolves to: Kind, and for
// a claim (a persistentVolumeClaim's claimName, a volumeClaimTemplate's
// name) the claim that names the workflow's directory.
type VolumeSource struct {
	Kind  string
	Claim string
	// Memory: an emptyDir of medium Memory, a tmpfs of SizeLimit bytes
	// (0: none given).
	Memory    bool
	SizeLimit int64
}

// ResolveVolume finds the volume name mounted by template t of the
// workflow spec s: the template's own volumes first, then the
// workflow's, then its volumeClaimTemplates (as Argo adds them to the
// pod). ok is false when none declares it.
func ResolveVolume(s *wfv1.WorkflowSpec, t *wfv1.Template, name string) (VolumeSource, bool) {
	var lists [][]wfv1.Volume
	if t != nil {
		lists = append(lists, t.Volumes)
	}
	if s != nil {
		lists = append(lists, s.Volumes)
	}
	for _, vs := range lists {
		for i := range vs {
			if vs[i].Name != name {
				continue
			}
			src := VolumeSource{Kind: VolumeKind(&vs[i])}
			if src.Kind == VolumeClaim {
				src.Claim, _ = vs[i].PersistentVolumeClaim["claimName"].(string)
			}
			if src.Kind == VolumeEmptyDir {
				medium, _ := vs[i].EmptyDir["medium"].(string)
				src.Memory = medium == "Memory"
				if v, ok := vs[i].EmptyDir["sizeLimit"]; ok && src.Memory {
					src.SizeLimit, _ = ParseBytes(v) // lint refuses one that is not a quantity
				}
			}
			return src, true
		}
	}
	if s != nil {
		for _, v := range s.VolumeClaimTemplates {
			if claimTemplateName(v) == name {
				return VolumeSource{Kind: VolumeClaimTemplate, Claim: name}, true
			}
		}
	}
	return VolumeSource{}, false
}

func claimTemplateName(v wfv1.Object) string {
	md, _ := v["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	return name
}

// MountedBy is every volumeMount of t's containers, with its field path
// below path: the main container (or script), a containerSet's and its
// containers', the init containers' and the sidecars' (all of one step,
// which runs in one mount namespace).
func MountedBy(t *wfv1.Template, path string) (mounts []wfv1.VolumeMount, paths []string) {
	add := func(ms []wfv1.VolumeMount, p string) {
		for i, m := range ms {
			mounts = append(mounts, m)
			paths = append(paths, fmt.Sprintf("%s.volumeMounts[%d]", p, i))
		}
	}
	switch {
	case t.Container != nil:
		add(t.Container.VolumeMounts, path+".container")
	case t.Script != nil:
		add(t.Script.VolumeMounts, path+".script")
	case t.ContainerSet != nil:
		add(t.ContainerSet.VolumeMounts, path+".containerSet")
		for i := range t.ContainerSet.Containers {
			add(t.ContainerSet.Containers[i].VolumeMounts, fmt.Sprintf("%s.containerSet.containers[%d]", path, i))
		}
	}
	for i := range t.InitContainers {
		add(t.InitContainers[i].VolumeMounts, fmt.Sprintf("%s.initContainers[%d]", path, i))
	}
	for i := range t.Sidecars {
		add(t.Sidecars[i].VolumeMounts, fmt.Sprintf("%s.sidecars[%d]", path, i))
	}
	return mounts, paths
}

// CheckMount says what is wrong with m for semaflow, naming the field
// below path ("" when nothing is); the volume's own source is checked
// where it is declared.
func CheckMount(m wfv1.VolumeMount) (field, msg string) {
	name := strconv.Quote(m.Name)
	if err := CheckMountPath(m.MountPath); err != nil {
		return "mountPath", fmt.Sprintf("mountPath %q for volume %s: %v", m.MountPath, name, err)
	}
	if err := CheckSubPath(m.SubPath); err != nil {
		return "subPath", fmt.Sprintf("subPath %q for volume %s: %v", m.SubPath, name, err)
	}
	if m.SubPathExpr != "" {
		return "subPathExpr", "subPathExpr is not supported by semaflow yet: volume " + name +
			" would be mounted whole, not at the expanded subPath; use subPath"
	}
	return "", ""
}

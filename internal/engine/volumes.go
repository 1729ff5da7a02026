package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/spec"
)

// volumesDirName holds a workflow's volumes, in its directory beside its
// step directories (whose names start with "n"), so deleting the workflow
// removes them.
const volumesDirName = "volumes"

// stepMounts resolves the volumeMounts of a step's containers (spec's
// volumes.go says how each source maps): an emptyDir is the step's own,
// a claim a directory of the workflow's, named by a hash of the claim so
// that no name from the manifest becomes a path. A mount the step could
// not have fails the step before it starts, naming the volume.
func (e *Engine) stepMounts(wf *wfv1.Workflow, t *wfv1.Template) ([]executor.Mount, error) {
	ms, _ := spec.MountedBy(t, "")
	if len(ms) == 0 {
		return nil, nil
	}
	ws := &wf.Spec
	if wf.Status.StoredWorkflowTemplateSpec != nil {
		ws = wf.Status.StoredWorkflowTemplateSpec
	}
	data, err := filepath.Abs(e.dataDir)
	if err != nil {
		return nil, err
	}
	out := make([]executor.Mount, 0, len(ms))
	for _, m := range ms {
		if _, msg := spec.CheckMount(m); msg != "" {
			return nil, fmt.Errorf("%s", msg)
		}
		if p := filepath.Clean(m.MountPath); within(p, data) || p == data || within(data, p) {
			return nil, fmt.Errorf("mountPath %q for volume %q: it would cover semaflow's data directory %s, which steps must not reach", m.MountPath, m.Name, data)
		}
		src, ok := spec.ResolveVolume(ws, t, m.Name)
		if !ok {
			return nil, fmt.Errorf("volume %q is not declared (in volumes or volumeClaimTemplates) for mountPath %s", m.Name, m.MountPath)
		}
		em := executor.Mount{Path: m.MountPath, Volume: m.Name, SubPath: m.SubPath, ReadOnly: m.ReadOnly}
		switch src.Kind {
		case spec.VolumeEmptyDir:
			em.Memory, em.MemoryBytes = src.Memory, src.SizeLimit
		case spec.VolumeClaim, spec.VolumeClaimTemplate:
			if src.Claim == "" {
				return nil, fmt.Errorf("volume %q: persistentVolumeClaim has no claimName", m.Name)
			}
			sum := sha256.Sum256([]byte(src.Kind + "/" + src.Claim))
			if em.Dir, err = e.inside(wf.Metadata.UID, volumesDirName, "v"+hex.EncodeToString(sum[:16])); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("volume %q: %s volumes are not supported by semaflow (semaflow lint says so)", m.Name, src.Kind)
		}
		out = append(out, em)
	}
	return out, nil
}

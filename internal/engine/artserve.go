package engine

import (
	"context"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/artifacts/repos"
)

// OpenArtifact is the driver and key of a recorded artifact location of
// wf (live or archived), for the server's download paths, and a name of
// where it is for messages.
func (e *Engine) OpenArtifact(wf *wfv1.Workflow, loc *wfv1.S3Artifact) (artifacts.Driver, string, string, error) {
	d, key, placed, err := e.openArtifact(wf, loc)
	if placed == nil {
		placed = loc
	}
	return d, key, repos.Describe(placed), err
}

// ArtifactsElsewhere is Elsewhere for the files of wf's local artifact
// repository, which is on the disk of the node that ran its steps, as
// its logs are.
func (e *Engine) ArtifactsElsewhere(ctx context.Context, wf *wfv1.Workflow) error {
	return e.nodeOf(ctx, wf)
}

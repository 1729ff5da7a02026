package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/artifacts/repos"
	"github.com/semaflow/semaflow/internal/store"
)

// workflowRepos remembers each running workflow's artifact repository,
// resolved once (Argo pins it in the status too): a ConfigMap edited
// while the workflow runs does not split its artifacts between two
// repositories.
type workflowRepos struct {
	mu    sync.Mutex
	byUID map[string]*wfv1.ArtifactRepositoryRefStatus
}

// maxPinnedRepos bounds the memory; past it the pins start again (a
// workflow then resolves its repository once more).
const maxPinnedRepos = 10000

// newLocator makes the engine's artifact locator: key-only locations in
// the engine's repository (or the workflow's s3 one), credentials from
// secrets, connections under the http policy.
func (e *Engine) newLocator(secrets repos.Secrets) *repos.Locator {
	return &repos.Locator{
		Local:   e.localArtifacts,
		Secrets: secrets,
		Policy:  e.httpPol,
		ConfigMaps: func(namespace, name string) (*wfv1.ConfigMap, error) {
			var cm wfv1.ConfigMap
			err := e.Object(context.Background(), "ConfigMap", namespace, name, &cm)
			if errors.Is(err, store.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return &cm, nil
		},
	}
}

// workflowRepository is wf's artifact repository (artifactRepositoryRef,
// the namespace's artifact-repositories ConfigMap, else the engine's).
func (e *Engine) workflowRepository(wf *wfv1.Workflow) (*wfv1.ArtifactRepositoryRefStatus, error) {
	uid := wf.Metadata.UID
	e.repos.mu.Lock()
	st, ok := e.repos.byUID[uid]
	e.repos.mu.Unlock()
	if ok {
		return st, nil
	}
	ref := wf.Spec.ArtifactRepositoryRef
	if ref == nil && wf.Status.StoredWorkflowTemplateSpec != nil {
		ref = wf.Status.StoredWorkflowTemplateSpec.ArtifactRepositoryRef
	}
	st, err := e.locator.Repository(wf.Metadata.Namespace, ref)
	if err != nil {
		return nil, err
	}
	e.repos.mu.Lock()
	if e.repos.byUID == nil || len(e.repos.byUID) >= maxPinnedRepos {
		e.repos.byUID = map[string]*wfv1.ArtifactRepositoryRefStatus{}
	}
	e.repos.byUID[uid] = st
	e.repos.mu.Unlock()
	return st, nil
}

// forgetRepository drops wf's pin once it is deleted.
func (e *Engine) forgetRepository(uid string) {
	e.repos.mu.Lock()
	delete(e.repos.byUID, uid)
	e.repos.mu.Unlock()
}

// openArtifact is the driver and key of an s3 location of wf: a key-only
// one is in the workflow's repository.
func (e *Engine) openArtifact(wf *wfv1.Workflow, loc *wfv1.S3Artifact) (artifacts.Driver, string, *wfv1.S3Artifact, error) {
	if loc == nil {
		return nil, "", nil, errors.New("no s3 location")
	}
	if loc.Bucket == "" && loc.Endpoint == "" {
		st, err := e.workflowRepository(wf)
		if err != nil {
			return nil, "", nil, err
		}
		loc = repos.Place(st, &wfv1.Artifact{ArtifactLocation: wfv1.ArtifactLocation{S3: loc}}, loc.Key)
	}
	d, key, err := e.locator.Open(wf.Metadata.Namespace, loc)
	if err != nil {
		return nil, "", loc, fmt.Errorf("%s: %w", repos.Describe(loc), err)
	}
	return d, key, loc, nil
}

// localArtifacts is the engine's own repository (--artifact-repository).
func (e *Engine) localArtifacts() (artifacts.Driver, error) { return e.artifacts.get() }

// fetchRemote loads an http or git input into in/staged: an http
// download that is a tar+gzip archive is unpacked, as Argo's executor
// unpacks every input that is one.
func (e *Engine) fetchRemote(ctx context.Context, wf *wfv1.Workflow, a *wfv1.Artifact, in, staged string) error {
	if a.SubPath != "" {
		return fmt.Errorf("subPath %s: only artifacts from a repository (s3, another step) take a subPath here", a.SubPath)
	}
	tmp, err := os.MkdirTemp(in, ".fetch-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	dst := filepath.Join(in, staged)
	raw := filepath.Join(tmp, "raw")
	if err := e.locator.LoadRemote(ctx, wf.Metadata.Namespace, a, raw, tmp); err != nil {
		return err
	}
	if len(a.HTTP) > 0 {
		tgz, err := artifacts.IsTarGz(raw)
		if err != nil {
			return err
		}
		if tgz {
			return artifacts.Untar(raw, dst)
		}
	}
	return os.Rename(raw, dst)
}

// keyShown is an error of a driver told key, spelled with the key the
// user knows (the local repository keeps a namespace's keys under its
// own directory): messages and statuses keep Argo's keys.
type keyShown struct {
	err      error
	key, own string
}

func (k *keyShown) Error() string { return strings.ReplaceAll(k.err.Error(), k.key, k.own) }
func (k *keyShown) Unwrap() error { return k.err }

// showKey wraps err as keyShown when key is not the user's own.
func showKey(err error, key, own string) error {
	if err == nil || key == own || own == "" {
		return err
	}
	return &keyShown{err: err, key: key, own: own}
}

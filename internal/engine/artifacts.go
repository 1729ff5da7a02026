package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/artifacts/repos"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// The engine moves artifacts between the repository and step
// directories: before a step starts it loads the step's inputs into
// DIR/inputs (the supervisor copies them to their paths), and once a
// step has ended it stores what the supervisor staged in DIR/outputs.
// The step never touches the repository.

// artifactRepo is the default repository, opened on first use.
type artifactRepo struct {
	once   sync.Once
	driver artifacts.Driver
	dir    string
	err    error
	log    *slog.Logger
}

func (a *artifactRepo) get() (artifacts.Driver, error) {
	a.once.Do(func() {
		if a.driver == nil {
			var l *artifacts.Local
			l, a.err = artifacts.OpenLocal(a.dir)
			if a.err == nil {
				a.driver = l
			}
		}
		if l, ok := a.driver.(*artifacts.Local); ok && a.log != nil {
			warnUnconfinedArtifacts(a.log, l.Dir())
		}
	})
	return a.driver, a.err
}

// warnUnconfinedArtifacts tells the operator about artifacts stored
// before keys were confined to namespaces (at the repository's top, not
// under repos.NamespacesDir): no workflow finds them any more, since
// nothing says whose they are. Moving DIR/KEY to DIR/_ns/NAMESPACE/KEY
// gives one back to its namespace.
func warnUnconfinedArtifacts(log *slog.Logger, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var old []string
	for _, e := range ents {
		if n := e.Name(); n != repos.NamespacesDir && !strings.HasPrefix(n, ".") {
			old = append(old, n)
		}
	}
	if len(old) > 0 {
		log.Warn(fmt.Sprintf("artifact repository %s: %d entries stored before artifacts were confined to namespaces are not found by workflows: "+
			"move %s/KEY to %s/%s/NAMESPACE/KEY to give one back to its namespace", dir, len(old), dir, dir, repos.NamespacesDir),
			"entries", strings.Join(old[:min(len(old), 10)], ","))
	}
}

// StepTransferTimeout bounds all of one step's input loads together, and
// all of its output saves together (each http or git input has its own
// 10 minutes within it; each S3 request about 63 s, see s3repo).
const StepTransferTimeout = 15 * time.Minute

// stageInputs loads a step's input artifacts into DIR/inputs and lists
// them in spec. An error names the artifact.
func (e *Engine) stageInputs(ctx context.Context, wf *wfv1.Workflow, dir string, l *reconcile.Launch, spec *executor.Spec) error {
	in := filepath.Join(dir, executor.InputsDir)
	made := false
	for i, a := range l.Template.Inputs.Artifacts {
		if a.Raw != nil {
			continue // written from the spec (InputFiles)
		}
		if !hasLocation(&a) {
			if a.Optional {
				continue
			}
			return fmt.Errorf("input artifact %q: nothing supplies it", a.Name)
		}
		if a.Path == "" {
			return fmt.Errorf("input artifact %q: no path to put it at", a.Name)
		}
		if kind := locationKind(&a); kind != "s3" && kind != "http" && kind != "git" {
			return fmt.Errorf("input artifact %q: %s artifacts are not supported", a.Name, kind)
		}
		if !made {
			// An earlier engine may have staged some before it stopped.
			if err := os.RemoveAll(in); err != nil {
				return fmt.Errorf("the step's input artifacts: %w", err)
			}
			if err := os.MkdirAll(in, 0o700); err != nil {
				return fmt.Errorf("the step's input artifacts: %w", err)
			}
			made = true
		}
		staged := strconv.Itoa(i)
		err := e.loadInput(ctx, wf, &a, in, staged)
		if err == nil {
			spec.InputArtifacts = append(spec.InputArtifacts, executor.InputArtifact{Name: a.Name, Path: a.Path,
				Staged: staged, Mode: a.Mode, Recurse: a.RecurseMode})
			continue
		}
		if a.Optional && errors.Is(err, artifacts.ErrNotFound) {
			continue
		}
		return fmt.Errorf("input artifact %q: %w", a.Name, err)
	}
	return nil
}

// loadInput puts input artifact a at in/staged: from its s3 location (a
// key-only one is in the workflow's repository), or from http or git.
func (e *Engine) loadInput(ctx context.Context, wf *wfv1.Workflow, a *wfv1.Artifact, in, staged string) error {
	if a.S3 == nil {
		return e.fetchRemote(ctx, wf, a, in, staged)
	}
	// The drivers' errors name the key and where it is.
	d, key, _, err := e.openArtifact(wf, a.S3)
	if err != nil {
		return err
	}
	return showKey(artifacts.Fetch(ctx, d, key, a.SubPath, filepath.Join(in, staged)), key, a.S3.Key)
}

// outputArtifacts lists a step's output artifacts for its supervisor.
func (e *Engine) outputArtifacts(wf *wfv1.Workflow, l *reconcile.Launch, spec *executor.Spec) error {
	for _, a := range l.Template.Outputs.Artifacts {
		if a.Path == "" {
			return fmt.Errorf("output artifact %q: no path to read it from", a.Name)
		}
		if a.S3 == nil || a.S3.Key == "" {
			return fmt.Errorf("output artifact %q: no key to store it under", a.Name)
		}
		// Resolved now, so a missing secret or repository fails the step
		// before it runs rather than lose what it makes.
		if _, _, _, err := e.openArtifact(wf, a.S3); err != nil {
			return fmt.Errorf("output artifact %q: %w", a.Name, err)
		}
		var own json.RawMessage
		if a.S3.Bucket != "" || a.S3.Endpoint != "" {
			loc := *a.S3
			loc.Key = ""
			own, _ = json.Marshal(&loc)
		}
		if err := artifacts.CheckKey(a.S3.Key); err != nil {
			return fmt.Errorf("output artifact %q: %w", a.Name, err)
		}
		_, none := a.Archive["none"]
		spec.OutputArtifacts = append(spec.OutputArtifacts, executor.OutputArtifact{Name: a.Name, Path: a.Path,
			Key: a.S3.Key, Optional: a.Optional, Unarchived: none, Location: own})
	}
	spec.LogsKey = l.LogsKey
	return nil
}

// storeOutputs stores what the supervisor staged for a finished step;
// one that cannot be stored becomes an artifact error of the step.
func (e *Engine) storeOutputs(ctx context.Context, wf *wfv1.Workflow, dir string, res *executor.Result) {
	ctx, cancel := context.WithTimeout(ctx, StepTransferTimeout)
	defer cancel()
	// As artifact GC: a repository that did not answer one save is not
	// asked for the step's other outputs.
	unreachable := map[artifacts.Driver]error{}
	for i := range res.Artifacts {
		a := &res.Artifacts[i]
		if a.Stored {
			continue
		}
		err := func() error {
			if !filepath.IsLocal(a.Staged) {
				return fmt.Errorf("staged at %q, outside the step's directory", a.Staged)
			}
			loc := &wfv1.S3Artifact{}
			if len(a.Location) > 0 {
				if err := json.Unmarshal(a.Location, loc); err != nil {
					return fmt.Errorf("its location: %w", err)
				}
			}
			loc.Key = a.Key
			d, key, _, err := e.openArtifact(wf, loc)
			if err != nil {
				return err
			}
			if why, ok := unreachable[d]; ok {
				return fmt.Errorf("not attempted: %w", why)
			}
			err = showKey(d.Save(ctx, key, filepath.Join(dir, a.Staged)), key, a.Key)
			if unanswered(err) {
				unreachable[d] = err
			}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w (the step's outputs get %s in all)", err, StepTransferTimeout)
			}
			return err
		}()
		if err != nil {
			res.ArtifactErrors = append(res.ArtifactErrors, fmt.Sprintf("output artifact %q: %v", a.Name, err))
			continue
		}
		a.Stored = true
	}
}

func hasLocation(a *wfv1.Artifact) bool {
	return locationKind(a) != ""
}

func locationKind(a *wfv1.Artifact) string { return a.Kind() }

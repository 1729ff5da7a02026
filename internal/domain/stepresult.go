package domain

import (
	"encoding/json"
	"time"
)

// StepResult is what the executor learned from a finished step. The step
// supervisor writes it to the step's result.json, so its JSON names are a
// file format that an engine of another version must still read.
type StepResult struct {
	ExitCode int `json:"exitCode"`
	// Stdout is the step's standard output, the source of outputs.result.
	Stdout string `json:"stdout,omitempty"`
	// Truncated is set when stdout went over the executor's cap and Stdout
	// holds only its first bytes.
	Truncated bool `json:"truncated,omitempty"`
	// Outputs maps an output parameter name to the content of its
	// valueFrom.path file; Missing says why each absent one is absent.
	Outputs map[string]string `json:"outputs,omitempty"`
	Missing map[string]string `json:"missing,omitempty"`
	// StartError is set when the step could not be started for a reason
	// of the engine's (its directory, lease, supervisor); the node then
	// ends in Error.
	StartError string `json:"startError,omitempty"`
	// ExecError is set when the step's program could not be executed (not
	// found, not executable). That is the step's own failure: as Argo's
	// container does then, the step exits ExecFailedExitCode and its node
	// ends Failed, with this as its message.
	ExecError string `json:"execError,omitempty"`
	// HTTP is set for an http template's request, whose response body is
	// Stdout.
	HTTP *HTTPResult `json:"http,omitempty"`
	// Message is the step's own account of a failure its exit code does
	// not tell: the init container or sidecar that failed (its pod runner
	// writes it).
	Message string `json:"message,omitempty"`
	// Killed is set when the engine killed the step; it is the reason.
	Killed string `json:"killed,omitempty"`
	// Artifacts are the output artifacts the step left (its logs among
	// them, when archived): staged in the step's directory by the
	// supervisor, then stored by the engine.
	Artifacts []StepArtifact `json:"artifacts,omitempty"`
	// ArtifactErrors say, each naming the artifact, why an artifact
	// could not be loaded or saved; the step then fails.
	ArtifactErrors []string  `json:"artifactErrors,omitempty"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished"`
}

// StepArtifact is one output artifact of a step.
type StepArtifact struct {
	Name string `json:"name"`
	// Path is where the step wrote it, as the step saw it.
	Path string `json:"path,omitempty"`
	// Key is where it goes in the artifact repository.
	Key string `json:"key"`
	// Staged is where the supervisor put it, relative to the step's
	// directory: a .tgz file, or (archive none) the file or directory.
	Staged string `json:"staged"`
	// Unarchived is set for archive none.
	Unarchived bool `json:"unarchived,omitempty"`
	// Location is the artifact's own s3 location (a wfv1.S3Artifact,
	// its key aside) when it has one: another bucket than the workflow's
	// repository. Copied from the spec the engine wrote.
	Location json.RawMessage `json:"location,omitempty"`
	// Stored is set once the engine has stored it under Key; it is never
	// written by the supervisor.
	Stored bool `json:"stored,omitempty"`
}

// HTTPResult is how an http template's request ended. The executor
// judges it, as Argo's agent does: its successCondition is evaluated where
// the whole response is at hand.
type HTTPResult struct {
	StatusCode int `json:"statusCode,omitempty"`
	// Failure says why the node failed (the request could not be made, a
	// non-2xx status, a false successCondition); empty: it succeeded.
	Failure string `json:"failure,omitempty"`
}

// ExecFailedExitCode is the exit code of a step whose program could not be
// executed: Argo's emissary exits 64 then.
const ExecFailedExitCode = 64

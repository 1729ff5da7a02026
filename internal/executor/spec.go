package executor

import (
	"encoding/json"
	"os"
	"strconv"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/podrun"
	"github.com/semaflow/semaflow/internal/stepinit"
)

// Spec is what the supervisor runs; it comes with the start request.
type Spec struct {
	Command []string `json:"command"`
	// HTTP, when set, is an http template's request: made by the
	// supervisor itself (httpstep.go), with no process started.
	HTTP       *HTTPRequest      `json:"http,omitempty"`
	Env        []string          `json:"env,omitempty"`
	WorkingDir string            `json:"workingDir,omitempty"`
	Script     string            `json:"script,omitempty"` // written to DIR/script and appended to Command
	InputFiles map[string]string `json:"inputFiles,omitempty"`
	Outputs    []OutputFile      `json:"outputs,omitempty"`
	// OutputArtifacts are staged in DIR/outputs once the step has ended
	// (artifacts_linux.go), for the engine to store.
	OutputArtifacts []OutputArtifact `json:"outputArtifacts,omitempty"`
	// InputArtifacts were put in DIR/inputs by the engine; each is
	// copied to its path before the step starts.
	InputArtifacts []InputArtifact `json:"inputArtifacts,omitempty"`
	// LogsKey, when set, archives the step's log under this key as its
	// main-logs artifact (archiveLogs).
	LogsKey  string    `json:"logsKey,omitempty"`
	Deadline time.Time `json:"deadline,omitempty"`
	// DeadlineMessage is the result's Killed reason when the deadline hits.
	DeadlineMessage string `json:"deadlineMessage,omitempty"`
	// PrivateTmp asks the supervisor to bind DIR/tmp over /tmp; it only
	// works inside a fresh mount namespace.
	PrivateTmp bool `json:"privateTmp,omitempty"`
	// Argosay says the step's image is Argo's argosay: its shell finds
	// the program at /argosay (steproot_linux.go).
	Argosay bool `json:"argosay,omitempty"`
	// Programs says the image has programs semaflow serves (argosay,
	// cowsay): they go on the step's PATH (imageprogs.go).
	Programs bool `json:"programs,omitempty"`
	// Mounts are the volumes the step sees at their mount paths, bound
	// in its own mount namespace (volumes_linux.go): as root, with a
	// private /tmp.
	Mounts []Mount `json:"mounts,omitempty"`
	// Pod, when set, runs the step's initContainers before its command
	// and its sidecars beside it (pod.go).
	Pod *podrun.Plan `json:"pod,omitempty"`
	// Ready, when set, is a daemon's readinessProbe: the step is reported
	// started only once it passes (probe.go).
	Ready *Probe `json:"ready,omitempty"`
	// Session is the engine session that started the step: the step is
	// that session's, and the engine that takes it over follows it.
	Session string `json:"session,omitempty"`
	// LeaseFile holds the expiry of the lease of the node that started
	// the step (lease.go). Once it has passed, other nodes may take over
	// the step's workflow and hand its locks on, so the step must be dead
	// by then. Empty: no fencing.
	LeaseFile string `json:"leaseFile,omitempty"`
	// ImageWorkDir is the working directory of the step's image (the
	// image table's): with no WorkingDir, the step's own working
	// directory stands for it (imagework_linux.go).
	ImageWorkDir string `json:"imageWorkDir,omitempty"`
}

// Mount is a volume the step sees at Path (a volumeMount).
type Mount struct {
	Path   string `json:"path"`
	Volume string `json:"volume"` // the volume's name, for messages (and an emptyDir's directory)
	// Dir is the workflow's directory of the volume, which the engine
	// made its path; empty: an emptyDir, a directory of the step's own
	// (DIR/volumes/VOLUME) that all its mounts of the volume share.
	Dir      string `json:"dir,omitempty"`
	SubPath  string `json:"subPath,omitempty"`
	ReadOnly bool   `json:"readOnly,omitempty"`
	// Memory: an emptyDir of `medium: Memory`, a tmpfs of MemoryBytes
	// (its sizeLimit; 0: the kernel's default, half the memory).
	Memory      bool  `json:"memory,omitempty"`
	MemoryBytes int64 `json:"memoryBytes,omitempty"`
}

// OutputFile is an output parameter read from a file after the step.
type OutputFile struct {
	Name    string  `json:"name"`
	Path    string  `json:"path"`
	Default *string `json:"default,omitempty"`
}

// OutputArtifact is an output artifact read from the step's path.
type OutputArtifact struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Key  string `json:"key"`
	// Optional: a missing path is no error, and no artifact.
	Optional bool `json:"optional,omitempty"`
	// Unarchived is archive none: the file or directory as it is,
	// rather than a tar+gzip of it.
	Unarchived bool `json:"unarchived,omitempty"`
	// Location is the artifact's own s3 location, passed back in the
	// result (domain.StepArtifact.Location).
	Location json.RawMessage `json:"location,omitempty"`
}

// InputArtifact is an input artifact the engine staged in DIR/inputs.
type InputArtifact = stepinit.InputArtifact

// Result is what the supervisor learned; it is recorded in DIR/state.
type Result = domain.StepResult

// Files in a step's directory: StateFile (state.go), LogFile once the
// step writes, and the step's own TmpDir and WorkDir. SpecFile, ResultFile
// and PidFile are an older supervisor's records, still read where found: a
// request without a spec names a directory with its SpecFile.
const (
	SpecFile   = "spec.json"
	ResultFile = "result.json"
	LogFile    = "log"
	KillFile   = "kill-reason"
	PidFile    = "supervisor.pid"
	TmpDir     = stepinit.TmpDir
	WorkDir    = stepinit.WorkDir
	// InputsDir holds the input artifacts the engine staged, and
	// OutputsDir the output artifacts the supervisor staged.
	InputsDir  = stepinit.InputsDir
	OutputsDir = "outputs"
)

// MaxResult caps outputs.result: the log keeps up to MaxLogBytes, the status
// keeps what fits (Argo caps it near this size too).
const MaxResult = 256 << 10

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// A temporary name of its own, for the same reason as recordGroup's.
	tmp := path + "." + strconv.Itoa(os.Getpid()) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// MaxLogBytes caps a step's log on disk: a step that writes without end
// must not fill the server's disk and stall every workflow. The head and
// the last logTailBytes are kept, with a marker between them.
const MaxLogBytes = 64 << 20

// maxLogBytes and logTailBytes are variables so a test can use a small cap.
var (
	maxLogBytes  int64 = MaxLogBytes
	logTailBytes int64 = 1 << 20
)

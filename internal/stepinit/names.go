package stepinit

// Names in a step's directory (DIR) that the init reaches.
const (
	TmpDir    = "tmp"
	WorkDir   = "work"
	InputsDir = "inputs" // the input artifacts the engine staged
)

// InputArtifact is an input artifact the engine staged in DIR/inputs, to
// be copied to Path before the step starts.
type InputArtifact struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// Staged is its name in DIR/inputs.
	Staged string `json:"staged"`
	// Mode, when set, is the file's mode (a directory's files' with
	// Recurse).
	Mode    *int32 `json:"mode,omitempty"`
	Recurse bool   `json:"recurse,omitempty"`
}

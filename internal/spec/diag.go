package spec

import (
	"fmt"
	"sort"
)

// Severity says whether a problem stops a manifest from being accepted.
type Severity string

// Severities, most serious first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Pos is a place in a file; lines and columns count from 1, and 0 means
// unknown.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Diagnostic is one problem found in a manifest.
type Diagnostic struct {
	File     string   `json:"file"`
	Pos      Pos      `json:"pos"`
	Path     string   `json:"path,omitempty"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Unhonoured marks a field semaflow accepts but does not act on as
	// Argo would (UnhonouredFields): an error here means "not supported",
	// not "invalid".
	Unhonoured bool `json:"unhonoured,omitempty"`
}

// String renders the diagnostic as `file:line:col: path: message`, the form
// editors and CI annotations understand.
func (d Diagnostic) String() string {
	loc := d.File
	if d.Pos.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", d.File, d.Pos.Line, d.Pos.Col)
	}
	prefix := ""
	if d.Severity == SeverityWarning {
		prefix = "warning: "
	}
	if d.Path == "" {
		return fmt.Sprintf("%s: %s%s", loc, prefix, d.Message)
	}
	return fmt.Sprintf("%s: %s: %s%s", loc, d.Path, prefix, d.Message)
}

// Diagnostics is a list of problems.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Count returns the number of errors and warnings.
func (ds Diagnostics) Count() (errs, warns int) {
	for _, d := range ds {
		if d.Severity == SeverityError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

// Sort orders diagnostics by file and position so output is stable.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.Pos.Col < b.Pos.Col
	})
}

// Error makes Diagnostics usable as an error value listing every problem.
func (ds Diagnostics) Error() string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += "\n"
		}
		s += d.String()
	}
	return s
}

package stepinit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// StartError words a step program's failure to start for its result.
func StartError(prog string, err error) string {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("cannot run %q: executable file not found in $PATH: install it or put it on PATH", prog)
	}
	return fmt.Sprintf("cannot run %q: %v", prog, err)
}

// ErrExec is the step init's report that the step's program could not be
// executed, worded for the step's result.
type ErrExec string

func (e ErrExec) Error() string { return string(e) }

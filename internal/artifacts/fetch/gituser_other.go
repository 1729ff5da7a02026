//go:build !unix

package fetch

import (
	"errors"
	"os/exec"
)

func asUser(*exec.Cmd, *User) {}

func chownTo(_ string, u *User) error {
	if u == nil {
		return nil
	}
	return errors.New("running git as another user needs a unix host")
}

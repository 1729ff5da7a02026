//go:build unix

package artifacts

import "syscall"

// syscallNoFollow keeps Open from following a link put in place between
// its check and its open.
const syscallNoFollow = syscall.O_NOFOLLOW

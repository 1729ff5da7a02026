//go:build !unix

package artifacts

const syscallNoFollow = 0

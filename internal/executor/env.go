package executor

import (
	"slices"
	"strings"
)

// baseEnvNames are the variables a step of a shared server inherits: what
// programs need to find themselves and format text, nothing the server's
// operator keeps for the server (tokens, credentials). Argo's containers
// do not see the controller's environment either.
var baseEnvNames = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"}

// BaseEnv keeps, of environ, the variables a server's steps start from:
// baseEnvNames and the LC_* locale settings.
func BaseEnv(environ []string) []string {
	out := []string{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LC_") || slices.Contains(baseEnvNames, name) {
			out = append(out, kv)
		}
	}
	return out
}

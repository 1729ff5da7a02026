package stepinit

import "strings"

// DedupEnv drops every entry of env whose name a later entry sets again,
// keeping the rest in order: the last value wins, as os/exec makes it for
// a command's Env. A step's environment is the host's base followed by
// the workflow's own, so a workflow's PATH or HOME comes twice; programs
// that read the first (glibc's getenv, Go, Python) must see the
// workflow's, as they do for a step forked through os/exec.
func DedupEnv(env []string) []string {
	seen := make(map[string]bool, len(env))
	keep := make([]bool, len(env))
	n := 0
	for i := len(env) - 1; i >= 0; i-- {
		name, _, ok := strings.Cut(env[i], "=")
		if ok && seen[name] {
			continue
		}
		if ok {
			seen[name] = true
		}
		keep[i] = true
		n++
	}
	out := make([]string, 0, n)
	for i, kv := range env {
		if keep[i] {
			out = append(out, kv)
		}
	}
	return out
}

// SetEnv sets name to value in env, in place of any entry it had.
func SetEnv(env []string, name, value string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			env[i] = name + "=" + value
			return env
		}
	}
	return append(env, name+"="+value)
}

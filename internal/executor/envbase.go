package executor

import (
	"fmt"
	"slices"
)

// Every step of a run gets the engine's environment and a few variables
// of its own after it: some forty strings, most of each start request
// and most of the supervisor's work decoding it. So Local declares the
// part steps share once ("env"), and a start request names how many of
// its leading entries it takes from there (EnvBase) and carries only the
// rest. The declaration is per supervisor process, sent on the same pipe
// before the starts that use it, so it is always there first.

// minEnvBase is the shortest prefix worth declaring.
const minEnvBase = 4

// sendStart queues r, a start request for a job with environment env, as
// one whose environment begins with the declared base where it can;
// Local.mu is held.
func (s *supervisor) sendStart(r request, env []string) error {
	n := sharedPrefix(s.env, env)
	if n < len(s.env) || n == 0 {
		// The base no longer fits: the part this job shares with the one
		// before becomes the new one, if it is worth it.
		n = sharedPrefix(s.last, env)
		if n < minEnvBase {
			n = 0
		} else {
			// A copy: the caller's slice is its own to change later.
			base := slices.Clone(env[:n])
			if err := s.out.send(request{Op: "env", Env: base}); err != nil {
				return err
			}
			s.env = base
		}
	}
	s.last = slices.Clone(env)
	if n > 0 {
		spec := *r.Spec
		spec.Env = env[n:]
		r.Spec, r.EnvBase = &spec, n
	}
	return s.out.send(r)
}

// sharedPrefix is how many leading entries a and b share.
func sharedPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// withEnvBase gives r's spec its whole environment: the first r.EnvBase
// entries of base, then its own.
func withEnvBase(r *request, base []string) error {
	if r.EnvBase == 0 {
		return nil
	}
	if r.Spec == nil || r.EnvBase < 0 || r.EnvBase > len(base) {
		return fmt.Errorf("not started: the request takes %d entries of an environment of %d declared to this supervisor", r.EnvBase, len(base))
	}
	r.Spec.Env = append(base[:r.EnvBase:r.EnvBase], r.Spec.Env...)
	return nil
}

package executor

import "io"

// stdoutSink receives a step's stdout: every byte goes to the log file
// (shared with stderr), and the first MaxResult bytes are kept in memory
// for outputs.result. The bytes are stored once, in the log; no separate
// stdout file is written.
type stdoutSink struct {
	log       io.Writer
	kept      []byte
	truncated bool
}

// Write never fails: a log write that fails (a full disk) must not cut
// the step's stdout pipe, which would kill the step with SIGPIPE and lose
// outputs.result too. The log then misses those bytes; the result does not.
func (s *stdoutSink) Write(p []byte) (int, error) {
	_, _ = s.log.Write(p)
	if room := MaxResult - len(s.kept); room > 0 {
		if len(p) > room {
			s.kept = append(s.kept, p[:room]...)
			s.truncated = true
		} else {
			s.kept = append(s.kept, p...)
		}
	} else if len(p) > 0 {
		s.truncated = true
	}
	return len(p), nil
}

// Package executor runs steps as local processes. Each step runs under a
// supervisor (`semaflow exec DIR`, the same binary) that owns the step's
// process group, enforces its deadline, captures its output and writes
// the result into the step's directory, so a step's outcome is on disk
// even if the engine that started it is gone.
package executor

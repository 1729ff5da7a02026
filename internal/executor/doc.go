// Package executor runs steps as local processes under a supervisor:
// `semaflow exec --serve`, the same binary, started once per engine in its
// own session. The engine sends it jobs over a pipe; for each one the
// supervisor starts the step in the step's own process group (and, as
// root, its own mount namespace with a private /tmp; with a step user,
// through the step init of init_linux.go, as that user in its own PID
// namespace too), enforces its deadline, captures its output and writes
// the result into the step's directory. Because the supervisor outlives the engine, a step's outcome
// reaches disk even if the engine that started it is gone.
//
// A step directory is taken once (claim.go): a second supervisor handed
// the same step follows the first instead of running it again. A step
// whose Spec names a LeaseFile is fenced on its node's lease (lease.go):
// it does not start, or is killed, once the lease has expired.
//
// One long-lived supervisor rather than one per step: a step then costs
// one process spawn instead of two, and spawning is the dominant cost of
// a short step on these machines.
package executor

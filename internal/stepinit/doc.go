// Package stepinit is the step init: a step run as the step user starts
// as `semaflow-init CONFIG` (or, where that small binary is not installed
// beside semaflow, `semaflow exec --init CONFIG`), cloned by the supervisor into a new PID and mount namespace. Still
// root, the init makes the mounts the step sees: a /proc of its own PID
// namespace (no other process, the supervisor's and the server's
// included, is visible or signalable), the data directory hidden under
// an empty tmpfs with only the step's own work and tmp directories bound
// back at their paths (the tmpfs goes higher when the step user could
// not search a directory above the data directory), a tmpfs of its own
// over each of the host's other world-writable directories
// (scratch_linux.go), and, with a private /tmp, the step's tmp bound
// over /tmp (its work directory bound back inside when it lies under
// /tmp: workdir_linux.go). It then drops to the step user, writes the
// step's input files and script as that user (so a path chosen by the
// workflow can never make root write a host file), and execs the step,
// which becomes PID 1 of its namespace. The script, at a path of the
// supervisor's choosing, the supervisor writes itself, root's and
// readable: the step runs it but cannot change it.
//
// PID 1 is why kill and deadline keep working unchanged: the supervisor
// SIGKILLs the process group, and once PID 1 dies the kernel kills every
// process left in its namespace, even one that left the group. The
// step's exit status is the init's own, since the init became the step.
// Exec rather than a resident init keeps a step at one process and one
// Go start-up; the price is that the step is PID 1 (a signal it has no
// handler for, sent from inside, is ignored, as in a container without
// an init).
//
// The init reports a failure before the exec on a pipe at StatusFD,
// which is close-on-exec: the supervisor reads end of file once the
// step's program runs, or the reason it could not start. It reads the
// step's spec (its workingDir and input files) from a pipe at SpecFD, so
// the job is never written to disk.
//
// It is a package of its own, using only the standard library and
// x/sys/unix, so that semaflow-init starts in a few milliseconds: the
// whole semaflow binary spends ~30 ms of CPU starting (its dependencies'
// package init, its size), and every such step paid that.
package stepinit

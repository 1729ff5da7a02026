package executor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/stepinit"
)

// runStep runs one step to completion and returns its result. rec is the
// step's record, where its process group goes. kill delivers a reason to
// stop the step early; started is called once the process runs. lease,
// when set, is the watch of spec.LeaseFile: the step starts only under an
// unexpired lease and is killed once it expires.
func runStep(dir string, spec *Spec, conf *confinement, rec *stepRecord, lease *leaseWatch, kill <-chan string, started func(), room func(error) *Result) *Result {
	res := &Result{Started: time.Now()}
	// Before the result is written, on every path: once its outputs are
	// read, the step's emptyDirs are gone with it.
	defer dropEmptyDirs(dir)
	private := conf.private
	if err := checkOutputPaths(spec); err != nil {
		res.StartError = err.Error()
		return res
	}
	view, err := prepareStepDirs(dir, spec, conf, room)
	if err != nil {
		var ended endedWaiting
		if errors.As(err, &ended) {
			return ended.res
		}
		res.StartError = err.Error()
		return res
	}
	defer view.close()
	res.Started = time.Now() // a wait for room is not the step's run
	argv := append([]string{}, spec.Command...)
	if spec.Script != "" {
		argv = append(argv, view.step(scriptPath))
	}
	if len(argv) == 0 {
		res.StartError = "the template has neither a command nor args to run"
		return res
	}
	if len(spec.Mounts) > 0 && !private {
		res.StartError = errNeedsNamespace(spec.Mounts).Error()
		return res
	}
	if argv, err = podArgv(argv, spec, conf.user != nil); err != nil {
		res.StartError = err.Error()
		return res
	}
	msgPipe, err := newPodMessage(spec)
	if err != nil {
		res.StartError = err.Error()
		return res
	}
	defer msgPipe.close()
	argv, progs := imagePrograms(argv, spec, view)
	argv[0] = resolveProgram(argv[0])
	// What the step init writes as the step user: the inputs the
	// supervisor does not place (ownInputs).
	var initSpec Spec
	if private {
		// The step's root serves /argosay, a workingDir, outputs outside
		// /tmp and volumes, as root and as the step user alike.
		if view.root, err = planStepRoot(dir, spec, view, conf.user); err != nil {
			res.StartError = err.Error()
			return res
		}
	}
	if conf.user == nil {
		// After the step root is planned: a path outside /tmp is the
		// step's own there, never the host's. A step run as the step user
		// writes its inputs itself, as that user, in its root.
		if err := writeInputFiles(spec, view); err != nil {
			res.StartError = err.Error()
			return res
		}
		if err := writeInputArtifacts(dir, spec, view); err != nil {
			res.StartError = err.Error()
			return res
		}
	} else if err := giveInputs(dir, conf.user); err != nil {
		res.StartError = fmt.Sprintf("the step's input artifacts: %v", err)
		return res
	} else if initSpec, err = ownInputs(dir, spec, view.root, conf.user); err != nil {
		res.StartError = err.Error()
		return res
	}
	if progs {
		// The step init binds the binary itself, whatever the /tmp.
		if err := writeProgDir(view, private || conf.user != nil); err != nil {
			res.StartError = fmt.Sprintf("the step's image programs: %v", err)
			return res
		}
	}
	// Made once the step writes: most steps of a wide fan-out never do.
	log := newCappedLog(filepath.Join(dir, LogFile))
	defer log.close()
	stdout := &stdoutSink{log: log}
	// One entry per name, the last (the workflow's over the host's), before
	// PATH and TMPDIR are changed in place: programs that read an
	// environment's first entry see what os/exec would have kept.
	env := stepinit.DedupEnv(spec.Env)
	if progs {
		env = withProgPath(env, view.step(progBin))
	}
	if !private {
		env = stepinit.SetEnv(env, "TMPDIR", view.tmp)
	}
	var cmd *exec.Cmd
	closeSpec := func() {}
	if conf.user != nil {
		// The step's environment reaches the step through the init's spec
		// pipe, never the init's own environment: the init runs as root,
		// and LD_PRELOAD, GODEBUG and the like are the workflow's to set.
		initSpec.Env = env
		if cmd, closeSpec, err = conf.initCommand(dir, argv, view.root, &initSpec); err != nil {
			res.StartError = err.Error()
			return res
		}
		defer closeSpec()
	} else {
		cmd = stepCommand(argv)
		cmd.Env = env
		// One handle for every step: os/exec would open, probe and close
		// /dev/null for each.
		if null, err := devNull(); err == nil {
			cmd.Stdin = null
		}
	}
	if msgPipe != nil {
		// podMessageFD: after the init's own, which startIsolated and
		// initCommand put first.
		cmd.ExtraFiles = append(cmd.ExtraFiles, msgPipe.w)
	}
	// stdout and stderr are two pipes, read by one goroutine into the
	// log (stdout also into the result), in the order outPipes explains.
	pipes, err := newOutPipes()
	if err != nil {
		res.StartError = fmt.Sprintf("the step's output pipes: %v", err)
		return res
	}
	cmd.Stdout, cmd.Stderr = pipes.outW, pipes.errW
	defer pipes.close()
	// Its own group, which a kill or a deadline ends as a whole; and it
	// dies with this supervisor (spawn.go, group.go).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	switch {
	case conf.user != nil:
		// The step init changes to the working directory itself.
	case spec.WorkingDir != "":
		cmd.Dir = spec.WorkingDir
		if err := os.MkdirAll(view.host(spec.WorkingDir), 0o700); err != nil {
			res.StartError = fmt.Sprintf("workingDir %s: %v", spec.WorkingDir, err)
			return res
		}
	case private:
		// Bound back inside the step's own /tmp if that hides it.
		cmd.Dir = view.workPath
	default:
		cmd.Dir = view.work
	}
	// Whoever finds this supervisor dead kills the step's group by this
	// record (group.go). Without it, a step left running would pass for
	// one that never started, so one that cannot be recorded does not run.
	record := func(pid int) error { return recordGroup(rec, pid) }
	endTurn := func() {}
	if conf.user != nil {
		var killed string
		if endTurn, killed = startTurn(kill, spec.Deadline, spec.DeadlineMessage); killed != "" {
			// Never started: nothing ran, nothing to reap.
			res.Killed, res.ExitCode = killed, -1
			return res
		}
		defer endTurn()
		res.Started = time.Now() // the wait for a turn is not the step's run
	}
	// Last, so that a supervisor that took its job late, or was slow to
	// get here, does not start the step past its node's lease.
	var expired <-chan struct{}
	var epoch *leaseEpoch
	if lease != nil {
		if epoch, err = lease.admit(); err != nil {
			res.StartError = err.Error()
			return res
		}
		expired = epoch.expired
	}
	var done <-chan error
	switch {
	case conf.user != nil:
		done, err = startIsolated(cmd, record)
		closeSpec() // the init has its own read end now
	case private:
		var setup func() error
		if setup, err = privateSetup(view, progs); err == nil {
			done, err = spawn(cmd, setup, record)
		}
	default:
		done, err = spawn(cmd, nil, record)
	}
	endTurn()
	msgPipe.started()
	// Read even when the start failed: the step init may have said why.
	pipes.start(stdout, log)
	var initErr errInit
	var execErr stepinit.ErrExec
	var setupErr errSetup
	if err != nil {
		pipes.wait(outputGrace)
	}
	switch {
	case errors.As(err, &setupErr):
		res.StartError = setupErr.Error()
		return res
	case errors.As(err, &execErr):
		return execFailed(res, log, string(execErr))
	case errors.As(err, &initErr):
		res.StartError = string(initErr)
		return res
	case err != nil && conf.user != nil:
		// The step init itself could not be run (the step's own program
		// failing to exec is execErr): the engine's failure, not the step's.
		res.StartError = fmt.Sprintf("cannot start the step init %s: %v", cmd.Path, err)
		return res
	case isExecFailure(err):
		return execFailed(res, log, stepinit.StartError(argv[0], err))
	case err != nil:
		res.StartError = stepinit.StartError(argv[0], err)
		return res
	}
	defer whenReady(spec.Ready, started)()
	var timer <-chan time.Time
	if !spec.Deadline.IsZero() {
		t := time.NewTimer(time.Until(spec.Deadline))
		defer t.Stop()
		timer = t.C
	}
	var werr error
	select {
	case werr = <-done:
	case <-timer:
		res.Killed = spec.DeadlineMessage
		werr = killGroup(cmd, done)
	case reason := <-kill:
		res.Killed = reason
		werr = killGroup(cmd, done)
	case <-expired:
		// Other nodes may take over the step's workflow from now on.
		res.Killed = "killed: " + leaseExpiredText(epoch.at)
		werr = killGroup(cmd, done)
	}
	res.Finished = time.Now()
	// A step ends when its process does: a background child that keeps
	// the output pipes open (setsid, a daemon) would otherwise hold the
	// step, its deadline and its locks for as long as it runs.
	pipes.wait(outputGrace)
	res.ExitCode = exitCode(werr)
	// Both pipes ended (or were cut off): the copy into stdout and the
	// log is over.
	res.Stdout, res.Truncated = string(stdout.kept), stdout.truncated
	log.finish()
	readOutputs(spec, view, res)
	saveOutputArtifacts(dir, spec, view, res)
	msgPipe.read(res)
	return res
}

// devNull is /dev/null open for reading, the stdin of steps run as this
// process's user, opened once. Reading it says end of file whatever its
// flags, so a step that changes them on its copy changes nothing for
// another.
var devNull = sync.OnceValues(func() (*os.File, error) {
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), os.DevNull), nil
})

// stepView maps paths as the step sees them to paths on the host.
type stepView struct {
	tmp, work       string
	private         bool
	tmpDir, workDir *os.File  // handles on tmp and work
	root            *stepRoot // the step's own root; nil: the host's
	workPath        string    // work's real path, as the step's getcwd says it
	user            *StepUser // whom the step runs as; nil: the supervisor's user
}

func (v stepView) host(path string) string {
	// First: under a private /tmp, the working directory's real path may
	// lie in /tmp, where the step sees it bound back.
	if rel, ok := stepinit.Under(filepath.Clean(path), v.workPath); ok {
		return filepath.Join(v.work, rel)
	}
	if v.private && (path == "/tmp" || strings.HasPrefix(path, "/tmp/")) {
		return filepath.Join(v.tmp, strings.TrimPrefix(path, "/tmp"))
	}
	if p, ok := v.root.Host(path); ok {
		return p
	}
	return path
}

// step is the path a step uses for a file the supervisor put in its /tmp.
func (v stepView) step(path string) string {
	if v.private {
		return path
	}
	return filepath.Join(v.tmp, strings.TrimPrefix(path, "/tmp"))
}

// outputGrace is how long a step's output is still read after its
// process exited, for children that write a last line as they end.
const outputGrace = 2 * time.Second

// killGroup kills the step's whole process group and reaps the step.
func killGroup(cmd *exec.Cmd, done <-chan error) error {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return <-done
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// isExecFailure says whether a start error is the program's own: not
// found, not executable, not a program. Any other (no process slot, the
// group record) is the engine's.
func isExecFailure(err error) bool {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return true
	}
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "fork/exec" {
		return false
	}
	switch {
	case errors.Is(pe.Err, syscall.ENOENT), errors.Is(pe.Err, syscall.EACCES), errors.Is(pe.Err, syscall.ENOEXEC),
		errors.Is(pe.Err, syscall.ENOTDIR), errors.Is(pe.Err, syscall.EISDIR), errors.Is(pe.Err, syscall.ELOOP):
		return true
	}
	return false
}

// execFailed ends a step whose program could not be executed as Argo's
// container ends then: exit code 64, the reason in its log and message.
func execFailed(res *Result, log *cappedLog, msg string) *Result {
	_, _ = log.Write([]byte(msg + "\n"))
	log.finish()
	res.ExecError, res.ExitCode, res.Finished = msg, domain.ExecFailedExitCode, time.Now()
	return res
}

// resolveProgram maps `python` to `python3` where only the latter exists.
func resolveProgram(prog string) string {
	if prog == "python" {
		if _, err := exec.LookPath("python"); err != nil {
			if _, err := exec.LookPath("python3"); err == nil {
				return "python3"
			}
		}
	}
	return prog
}

func readOutputs(spec *Spec, view stepView, res *Result) {
	for _, o := range spec.Outputs {
		b, err := view.readOutput(spec, o.Path)
		switch {
		case err == nil:
			if res.Outputs == nil {
				res.Outputs = map[string]string{}
			}
			res.Outputs[o.Name] = string(b)
		case o.Default != nil:
			if res.Outputs == nil {
				res.Outputs = map[string]string{}
			}
			res.Outputs[o.Name] = *o.Default
		default:
			if res.Missing == nil {
				res.Missing = map[string]string{}
			}
			res.Missing[o.Name] = fmt.Sprintf("cannot read %s: %v", o.Path, errors.Unwrap(err))
		}
	}
}

// writeInputArtifacts copies the staged input artifacts into the step's
// view, for a step run as this process's user.
func writeInputArtifacts(dir string, spec *Spec, view stepView) error {
	src, err := stepinit.OpenInputs(dir, spec.InputArtifacts)
	if err != nil || src == nil {
		return err
	}
	defer src.Close()
	return stepinit.PlaceInputs(src, spec.InputArtifacts, view.host)
}

// endedWaiting is a step that ended while it waited for room to write
// its directories or script: res says how.
type endedWaiting struct{ res *Result }

func (endedWaiting) Error() string { return "ended while waiting for room" }

// prepareStepDirs makes the step's directories and writes its script.
// Both are idempotent, so a write refused for lack of room is retried
// after room(err) (nil room: not retried), until room says the step will
// not run (an endedWaiting error).
func prepareStepDirs(dir string, spec *Spec, conf *confinement, room func(error) *Result) (stepView, error) {
	for {
		view, err := openStepDirs(dir, conf)
		if err == nil {
			if err = writeStepFiles(spec, view, conf.user == nil); err == nil {
				return view, nil
			}
			view.close()
		}
		if room == nil || !noRoom(err) {
			return stepView{}, err
		}
		if res := room(err); res != nil {
			return stepView{}, endedWaiting{res}
		}
	}
}

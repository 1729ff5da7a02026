package executor

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// Isolation says how the supervisor confines the steps it runs. The zero
// value is what `semaflow run` does by default: steps run as the engine's
// user and, as root, with a private /tmp.
type Isolation struct {
	// SharedTmp leaves steps the host's /tmp (TMPDIR then points at the
	// step's own directory) instead of binding that directory over /tmp.
	SharedTmp bool
	// User, when set, is whom steps run as (root only), each in its own
	// PID and mount namespace with its own /proc.
	User *StepUser
	// DataRoot is the data directory. A step run as User sees, of it, only
	// its own work and tmp directories.
	DataRoot string
	// StepNice, when set, is the nice value steps run at, the supervisor
	// itself running raised (RaiseControl); nil: steps run at the
	// supervisor's.
	StepNice *int
	// StepSlice is the scheduler slice (ns) steps run with when StepNice
	// is set: the one semaflow was started with; 0: the kernel's default.
	StepSlice uint64
	// StepTimerSlack is the timer slack (ns) steps run with when StepNice
	// is set: semaflow's own; 0: the supervisor's.
	StepTimerSlack uint64
}

// StepUser is the unprivileged identity steps run as.
type StepUser struct{ UID, GID uint32 }

func (u *StepUser) String() string { return fmt.Sprintf("%d:%d", u.UID, u.GID) }

// LookupStepUser reads a --step-user value: a user name, or a numeric
// uid[:gid] (a uid alone takes that user's group, or the uid as gid when
// the user is unknown). Empty means none.
func LookupStepUser(s string) (*StepUser, error) {
	if s == "" {
		return nil, nil
	}
	name, group, hasGroup := strings.Cut(s, ":")
	var u StepUser
	if uid, err := strconv.ParseUint(name, 10, 32); err == nil {
		u.UID, u.GID = uint32(uid), uint32(uid)
		if pw, err := user.LookupId(name); err == nil {
			if gid, err := strconv.ParseUint(pw.Gid, 10, 32); err == nil {
				u.GID = uint32(gid)
			}
		}
	} else {
		pw, err := user.Lookup(name)
		if unknown := (user.UnknownUserError("")); errors.As(err, &unknown) {
			return nil, fmt.Errorf("no user %q on this host", name)
		}
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", name, err)
		}
		uid, err1 := strconv.ParseUint(pw.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(pw.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("user %q: %w", name, err)
		}
		u.UID, u.GID = uint32(uid), uint32(gid)
	}
	if hasGroup {
		gid, err := strconv.ParseUint(group, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q: the group must be a number", s)
		}
		u.GID = uint32(gid)
	}
	if u.UID == 0 {
		return nil, fmt.Errorf("%q is root: steps must run unprivileged", s)
	}
	return &u, nil
}

// args are the supervisor's flags that carry the isolation: explicit, so
// the supervisor needs nothing from its environment.
func (i Isolation) args() []string {
	a := []string{fmt.Sprintf("--private-tmp=%t", !i.SharedTmp)}
	if i.User != nil {
		a = append(a, "--step-user="+i.User.String(), "--data-root="+i.DataRoot)
	}
	if i.StepNice != nil {
		a = append(a, fmt.Sprintf("--step-nice=%d", *i.StepNice))
		if i.StepSlice != 0 {
			a = append(a, fmt.Sprintf("--step-slice=%d", i.StepSlice))
		}
		if i.StepTimerSlack != 0 {
			a = append(a, fmt.Sprintf("--step-timer-slack=%d", i.StepTimerSlack))
		}
	}
	return a
}

// CheckIsolation says whether steps can run as i.User in their own
// namespaces on this host: it starts the step init once with nothing to
// run. self is the semaflow binary. note, when not "", tells the operator
// that steps start the slow way, and why.
func CheckIsolation(self string) (note string, err error) {
	if os.Geteuid() != 0 {
		return "", errors.New("running steps as another user needs root")
	}
	argv, why := stepInit(self)
	if len(argv) == 1 {
		return "", nil // semaflow-init, probed
	}
	if err := probeInit(argv); err != nil {
		return "", err
	}
	if why == "" {
		why = "not installed there (go install ./cmd/..., or go build -o DIR/ ./cmd/semaflow ./cmd/semaflow-init, installs both)"
	}
	return fmt.Sprintf("each step run as the step user starts through `semaflow exec --init` (~30 ms of CPU) rather than %s beside %s (~7 ms): %s",
		InitBinary, self, why), nil
}

// confinement is the supervisor's Isolation, resolved on this host.
type confinement struct {
	private  bool      // bind the step's tmp over /tmp
	user     *StepUser // nil: steps run as the supervisor's user
	dataRoot string    // hidden from steps run as user
	self     string    // the semaflow binary, which serves image programs
	init     []string  // how those steps start: the argv before CONFIG
}

// confine resolves iso on this host. A private /tmp that the host refuses
// degrades to a shared one, as it always has; a step user cannot be
// honoured without root, which is an error, and a step whose init fails
// fails to start rather than run unconfined.
func confine(iso Isolation) (*confinement, error) {
	c := &confinement{user: iso.User, dataRoot: iso.DataRoot}
	if c.user == nil {
		c.private = !iso.SharedTmp && namespacesAvailable() && probePrivateTmp()
		return c, nil
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("--step-user %s: running steps as another user needs root", c.user)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find the semaflow binary to start steps: %w", err)
	}
	c.self = self
	c.init, _ = stepInit(self)
	// Under the step init, a private /tmp is a bind in the step's own
	// mount namespace, which it always has: no probe is needed.
	c.private = !iso.SharedTmp
	return c, nil
}

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/semaflow/semaflow/internal/executor"
	"github.com/spf13/cobra"
)

// defaultGrace is how long `run` and `server` take at most to end after
// SIGTERM or SIGINT, whatever their engine is doing.
const defaultGrace = 15 * time.Second

func addGraceFlag(cmd *cobra.Command, d *time.Duration, what string) {
	cmd.Flags().DurationVar(d, "grace-period", defaultGrace,
		"after SIGTERM or SIGINT, "+what+"; past this period the process exits with code 1 whatever it is doing (a second signal exits at once)")
}

// signalGuard turns the first SIGINT or SIGTERM into a context's end, and
// bounds what follows: a second signal ends the process at once (Go's
// default action), and a process still running grace after the first one
// calls abort, says so and exits with code 1. A shutdown that waits on a
// stuck workflow, a stuck step or a stuck store can so never keep the
// process alive.
type signalGuard struct {
	ctx     context.Context
	release func()
	done    chan struct{}
	once    sync.Once
	// ending is held from the moment the grace period ran out until the
	// exit: a command that returns meanwhile (its workflows ended as
	// their steps were killed) waits in stop, so that the abort is
	// finished and reported and the exit code is 1.
	ending sync.Mutex
}

func newSignalGuard(parent context.Context, stderr io.Writer, who string, grace time.Duration, abort func(), exit func(int)) *signalGuard {
	ctx, release := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	g := &signalGuard{ctx: ctx, release: release, done: make(chan struct{})}
	go func() {
		select {
		case <-g.done:
			return
		case <-ctx.Done():
		}
		select {
		case <-g.done: // ended by stop, not by a signal
			return
		default:
		}
		if parent.Err() != nil {
			return
		}
		release() // from now on a second signal kills at once
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-g.done:
		case <-t.C:
			g.ending.Lock()
			defer g.ending.Unlock()
			select {
			case <-g.done: // stopped as the period ran out
				return
			default:
			}
			fmt.Fprintf(stderr, "%s: still not ended %s after the signal (--grace-period): exiting now\n", who, grace)
			if abort != nil {
				abort()
			}
			exit(1)
		}
	}()
	return g
}

// Signaled is done at the first signal.
func (g *signalGuard) Signaled() <-chan struct{} { return g.ctx.Done() }

// stop disarms the guard: the command is returning.
func (g *signalGuard) stop() {
	g.ending.Lock()
	defer g.ending.Unlock()
	g.once.Do(func() {
		close(g.done)
		g.release()
	})
}

// reportAbort says what run's abort did to its steps' processes.
func reportAbort(stderr io.Writer, r executor.AbortReport) {
	if r.Killed > 0 {
		fmt.Fprintf(stderr, "semaflow run: killed the processes of %s\n", plural(r.Killed, "running step"))
	}
	if len(r.Left) > 0 {
		fmt.Fprintf(stderr, "semaflow run: processes %v of its steps did not die within a second of SIGKILL\n", r.Left)
	}
}

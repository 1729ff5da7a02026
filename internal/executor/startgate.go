package executor

import (
	"runtime"
	"sync"
	"time"
)

// startGate bounds how many steps run as the step user are being started
// at once. Each starts as a whole `semaflow exec --init` process (Go's
// start-up and package init alone are ~30 ms of CPU) that sets up its
// namespaces before it execs the step, so a burst of thousands started
// together only thrashes: on 2 cores, 3,000 at once drove the load
// average past 100, each `true` step took seconds, and the engine's own
// leases and requests starved with them. Steps wait for a turn only to
// start; once their program runs they hold nothing here. Steps forked
// straight from the supervisor (no step user) start in ~2 ms and are not
// gated: a gate there slowed a 3,000-step burst by 20-40 %.
var startGate = make(chan struct{}, startConcurrency())

func startConcurrency() int { return max(4, 2*runtime.NumCPU()) }

// turnLimit gives a start's turn back even while it has not ended: a
// start blocked that long waits on something (a slow mount, a stalled
// disk), not the CPU, and must not hold every other step back.
const turnLimit = 5 * time.Second

// startTurn waits for a turn to start a step; the returned func ends it,
// once however often it is called, and at the latest after turnLimit
// (past which the gate only limits the rate of new starts). A kill, or
// the step's deadline, that comes first ends the wait: killed is then
// the reason, and the step must not start.
func startTurn(kill <-chan string, deadline time.Time, deadlineMessage string) (done func(), killed string) {
	var late <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		late = t.C
	}
	select {
	case startGate <- struct{}{}:
	case killed = <-kill:
		return func() {}, killed
	case <-late:
		return func() {}, deadlineMessage
	}
	var once sync.Once
	end := func() { once.Do(func() { <-startGate }) }
	t := time.AfterFunc(turnLimit, end)
	return func() {
		t.Stop()
		end()
	}, ""
}

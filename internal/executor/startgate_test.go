package executor

import (
	"testing"
	"time"
)

func turn() func() {
	end, _ := startTurn(nil, time.Time{}, "")
	return end
}

// A start that never ends gives its turn back after turnLimit, so a stuck
// start cannot hold every later step back; ending a turn twice, or after
// the limit, gives back nothing more.
func TestStartTurnIsGivenBackOnceAndAtTheLimit(t *testing.T) {
	if len(startGate) != 0 {
		t.Fatalf("%d turns held before the test", len(startGate))
	}
	var ends []func()
	for range cap(startGate) {
		ends = append(ends, turn())
	}
	got := make(chan func(), 1)
	start := time.Now()
	go func() { got <- turn() }()
	var end func()
	select {
	case end = <-got:
	case <-time.After(turnLimit + 10*time.Second):
		t.Fatal("a full gate never gave a turn back")
	}
	if waited := time.Since(start); waited < turnLimit-time.Second {
		t.Fatalf("a turn came after %v, before any was given back", waited)
	}
	// Every turn taken before ran out; ending them gives back nothing.
	for _, e := range ends {
		e()
		e()
	}
	end()
	end()
	time.Sleep(50 * time.Millisecond)
	if len(startGate) != 0 {
		t.Fatalf("%d turns held after every one ended", len(startGate))
	}
}

// A step waiting for its turn is not started at all once it is killed or
// its deadline passes; it takes no turn.
func TestStartTurnEndsOnAKillOrTheDeadline(t *testing.T) {
	var ends []func()
	for range cap(startGate) {
		ends = append(ends, turn())
	}
	defer func() {
		for _, e := range ends {
			e()
		}
	}()
	kill := make(chan string, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		kill <- "stopped by the test"
	}()
	if end, killed := startTurn(kill, time.Time{}, ""); killed != "stopped by the test" {
		end()
		t.Fatalf("killed while waiting: %q, want the kill's reason", killed)
	}
	if end, killed := startTurn(nil, time.Now().Add(100*time.Millisecond), "too slow"); killed != "too slow" {
		end()
		t.Fatalf("deadline while waiting: %q, want its message", killed)
	}
	if len(startGate) != cap(startGate) {
		t.Fatalf("%d turns held, want the %d taken", len(startGate), cap(startGate))
	}
}

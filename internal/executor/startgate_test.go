package executor

import (
	"testing"
	"time"
)

// A start that never ends gives its turn back after turnLimit, so a stuck
// start cannot hold every later step back; ending a turn twice, or after
// the limit, gives back nothing more.
func TestStartTurnIsGivenBackOnceAndAtTheLimit(t *testing.T) {
	if len(startGate) != 0 {
		t.Fatalf("%d turns held before the test", len(startGate))
	}
	var ends []func()
	for range cap(startGate) {
		ends = append(ends, startTurn())
	}
	got := make(chan func(), 1)
	start := time.Now()
	go func() { got <- startTurn() }()
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

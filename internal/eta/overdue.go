package eta

import (
	"math"
	"time"
)

// Why a start or an end is not given as a number because of an overdue
// hold: one that has lasted longer than every (typical) recorded hold.
// The history says nothing of when such a hold ends, so a number would be
// invented: "starts in ~0s" for as long as it goes on.
const (
	WaitsOverdue = "waits for an overdue hold"
	HeldOverdue  = "held longer than recorded holds"
)

// Overdue describes the overdue hold a start or end depends on.
type Overdue struct {
	// Holder is the overdue holder (Holder.ID), the one holding longest
	// when several are; empty for a hold's own end (Release).
	Holder string
	// Others counts the other overdue holders whose release would do as
	// well (a semaphore's permits).
	Others int
	// Held is how long it has held; P90 how long nine in ten recorded
	// holds lasted.
	Held, P90 time.Duration
	// After is set when the waiter needs more than that release (another
	// overdue hold, or one of a waiter ahead that starts then), so it
	// starts after it, not when it happens.
	After bool
}

// isOverdue says whether a hold that has lasted elapsed outlasted every
// hold of d (its typical holds).
func isOverdue(d *Digest, elapsed time.Duration) bool {
	return d.Count() > 0 && elapsed > d.max
}

// blocked returns, for each of n waiters in queue order, the overdue hold
// it waits for, or nil. It replays Estimate's grant rule on counts alone:
// a permit held by an overdue holder frees after every finite end, and a
// waiter that starts on one ends later still, so which waiters depend on
// an overdue release does not depend on the draws. late lists the overdue
// holders, finite counts the others.
func blocked(limit, finite int, late []Overdue, n int) []*Overdue {
	out := make([]*Overdue, n)
	if len(late) == 0 {
		return out
	}
	top := late[0]
	for _, o := range late[1:] {
		if o.Held > top.Held {
			top = o
		}
	}
	top.Others = len(late) - 1
	releases, ends := len(late), 0 // permits freed by overdue holders; by waiters that started after one
	prev := false
	for w := range n {
		fromRelease, fromEnd := false, false
		for finite+releases+ends >= limit {
			switch {
			case finite > 0:
				finite--
			case releases > 0:
				releases--
				fromRelease = true
			default:
				ends--
				fromEnd = true
			}
		}
		if !prev && !fromRelease && !fromEnd {
			finite++
			continue
		}
		o := top
		// Starting on the release itself: only the first waiter that
		// needs one and nothing more.
		o.After = prev || fromEnd
		out[w], prev = &o, true
		ends++
	}
	return out
}

// never stands for the end of an overdue hold in Estimate's draws: later
// than every finite end.
var never = math.Inf(1)

package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// Lock history: the engine appends these events to a workflow's history
// as its holders ask for, get and let go of locks, so that a finished run
// can be replayed (semaflow simulate). Their times are the engine's.
const (
	// EventLockRequested: a holder asked for locks; the message is
	// FormatLockRequest's.
	EventLockRequested = "LockRequested"
	// EventLockGranted: a holder got its locks; the message is the holder.
	EventLockGranted = "LockGranted"
	// EventLockReleased: a holder let its locks go, or gave up waiting;
	// the message is the holder.
	EventLockReleased = "LockReleased"
)

// LockRequest is what a LockRequested event records.
type LockRequest struct {
	Holder   string
	Priority int32
	Locks    []string
}

// FormatLockRequest is a LockRequested event's message:
// "<holder> priority <p> locks <key> <key>...". Holder and lock keys never
// hold spaces (spec checks the names they are made of).
func FormatLockRequest(r LockRequest) string {
	return r.Holder + " priority " + strconv.FormatInt(int64(r.Priority), 10) + " locks " + strings.Join(r.Locks, " ")
}

// ParseLockRequest reads FormatLockRequest's message back.
func ParseLockRequest(msg string) (LockRequest, error) {
	f := strings.Fields(msg)
	if len(f) < 5 || f[1] != "priority" || f[3] != "locks" {
		return LockRequest{}, fmt.Errorf("lock request %q: %w: want <holder> priority <p> locks <key> [<key>]", msg, ErrBadKey)
	}
	p, err := strconv.ParseInt(f[2], 10, 32)
	if err != nil {
		return LockRequest{}, fmt.Errorf("lock request %q: %w: priority %q is not a 32-bit integer", msg, ErrBadKey, f[2])
	}
	return LockRequest{Holder: f[0], Priority: int32(p), Locks: f[4:]}, nil
}

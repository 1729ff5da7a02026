package engine

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// workflowUIDs makes workflow UIDs that sort by creation (UUID version 7,
// RFC 9562: a millisecond timestamp, a 12-bit counter within the
// millisecond, 62 random bits). Every table of the store is keyed or
// indexed by workflow UID (the workflow, its document, nodes, events,
// logs, archive entry and labels): with random UIDs the workflows running
// at one time sit on as many different pages of each, and every commit
// writes a page per workflow per table; with UIDs in creation order they
// share pages, and rows are added at the right edge of each b-tree. The
// 62 random bits keep a UID unguessable.
var workflowUIDs uidClock

type uidClock struct {
	mu   sync.Mutex
	last int64 // unix ms of the last UID
	seq  uint16
}

// next is a new UID, after every UID it made before in this process,
// even when the wall clock steps back.
func (c *uidClock) next(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := now.UnixMilli()
	c.mu.Lock()
	switch {
	case ms > c.last:
		// A new millisecond starts its counter low but not at zero: the
		// counter is 12 more bits no one can predict before that
		// millisecond, with room left for 3,072 UIDs in it.
		c.last, c.seq = ms, uint16(b[6])<<2|uint16(b[7]>>6)
	case c.seq < 0xfff:
		c.seq++
	default:
		// 4,096 UIDs in one millisecond: borrow the next one.
		c.last++
		c.seq = 0
	}
	ms, seq := c.last, c.seq
	c.mu.Unlock()
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = 0x70 | byte(seq>>8)
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newWorkflowUID is the UID of a workflow stored now.
func newWorkflowUID() string { return workflowUIDs.next(time.Now()) }

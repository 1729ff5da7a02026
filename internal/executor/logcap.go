package executor

import (
	"fmt"
	"os"
	"sync"
)

// cappedLog is a step's log file with a size cap. Bytes up to maxLogBytes
// go straight to the file, so a live reader sees them; every byte past
// the head budget (cap minus logTailBytes) is also kept in a ring. When
// the step wrote more than the cap, finish cuts the file back to the head
// and appends a marker and the ring: the log ends at most a marker line
// over the cap, with the first and the last of what the step said.
//
// The file is created at the first byte: a step that writes nothing (most
// steps of a wide fan-out) costs no log file, and readers take a missing
// log in an existing step directory for an empty one.
//
// Write never fails and never blocks on the cap: the step keeps running
// and its output is drained, so it is neither stalled nor hit by SIGPIPE.
// stdout and stderr write concurrently; the mutex only reserves an offset
// and fills the ring, the file write happens outside it.
type cappedLog struct {
	path       string
	f          *os.File // nil until the first byte
	openErr    error    // why f could not be made; its bytes are lost
	once       sync.Once
	limit      int64 // the cap
	head       int64 // bytes kept from the start when the log is cut
	mu         sync.Mutex
	total      int64  // bytes the step wrote
	ring       []byte // the last bytes past head, len up to limit-head
	ringNext   int    // where the next ring byte goes once it is full
	ringFilled bool
}

func newCappedLog(path string) *cappedLog {
	limit, tail := maxLogBytes, logTailBytes
	if tail > limit {
		tail = limit
	}
	return &cappedLog{path: path, limit: limit, head: limit - tail}
}

// file is the log file, made on first use; nil if it cannot be made (a
// full disk): as for a failed write, only log bytes are lost.
func (l *cappedLog) file() *os.File {
	l.once.Do(func() {
		l.f, l.openErr = createPrivate(l.path)
		if l.openErr != nil {
			fmt.Fprintf(os.Stderr, "semaflow exec: the step's log: %v\n", l.openErr)
		}
	})
	return l.f
}

// close closes the log file, if one was made.
func (l *cappedLog) close() {
	l.once.Do(func() {}) // no file is made after this
	if l.f != nil {
		_ = l.f.Close()
	}
}

func (l *cappedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	off := l.total
	l.total += int64(len(p))
	if l.total > l.head {
		skip := int64(0)
		if off < l.head {
			skip = l.head - off
		}
		l.keepTail(p[skip:])
	}
	l.mu.Unlock()
	if off < l.limit && len(p) > 0 {
		n := int64(len(p))
		if off+n > l.limit {
			n = l.limit - off
		}
		// A failed write (a full disk) only loses log bytes; see stdoutSink.
		if f := l.file(); f != nil {
			_, _ = f.WriteAt(p[:n], off)
		}
	}
	return len(p), nil
}

// keepTail appends b to the ring of the last limit-head bytes.
func (l *cappedLog) keepTail(b []byte) {
	size := int(l.limit - l.head)
	if size == 0 {
		return
	}
	if len(b) >= size {
		l.ring = append(l.ring[:0], b[len(b)-size:]...)
		l.ringNext, l.ringFilled = 0, true
		return
	}
	if !l.ringFilled {
		l.ring = append(l.ring, b...)
		if len(l.ring) >= size {
			l.ring = append([]byte(nil), l.ring[len(l.ring)-size:]...)
			l.ringNext, l.ringFilled = 0, true
		}
		return
	}
	for len(b) > 0 {
		n := copy(l.ring[l.ringNext:], b)
		b = b[n:]
		l.ringNext = (l.ringNext + n) % size
	}
}

// finish cuts an over-long log to head, marker and tail. It is called once
// the step's output is fully copied.
func (l *cappedLog) finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total <= l.limit {
		return
	}
	f := l.file()
	if f == nil {
		return
	}
	tail := append(append([]byte{}, l.ring[l.ringNext:]...), l.ring[:l.ringNext]...)
	marker := fmt.Sprintf("\nsemaflow: the log was cut: %d bytes not kept\n", l.total-l.head-int64(len(tail)))
	_ = f.Truncate(l.head)
	_, _ = f.WriteAt(append([]byte(marker), tail...), l.head)
}

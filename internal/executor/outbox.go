package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync"
)

// errOutboxClosed means a line was sent after close.
var errOutboxClosed = errors.New("the pipe is closed")

// outbox writes JSON lines to a pipe from a goroutine of its own, so a
// sender never waits on the pipe and never holds a lock across a write.
// The two ends of the supervisor protocol each read their pipe while the
// other writes; if either side wrote while holding a lock its reader
// needs, a pipe's worth of lines in flight deadlocked both processes.
// The queue is unbounded: a line is small and every one is wanted.
type outbox struct {
	w     io.WriteCloser
	mu    sync.Mutex
	lines [][]byte
	bytes int // in lines, not yet written
	shut  bool
	err   error         // first write error; later lines are dropped
	wake  chan struct{} // one pending wake-up for the writer
	done  chan struct{} // closed when the writer has finished
}

func newOutbox(w io.WriteCloser) *outbox {
	o := &outbox{w: w, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go o.write()
	return o
}

// send queues v as one JSON line; it never blocks on the pipe.
func (o *outbox) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.shut:
		return errOutboxClosed
	case o.err != nil:
		return o.err
	}
	o.lines = append(o.lines, append(b, '\n'))
	o.bytes += len(b) + 1
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// backlog is how many bytes are queued and not yet written.
func (o *outbox) backlog() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}

// close stops taking lines; the writer writes the queued ones, then
// closes the pipe. It does not wait: done says when that has happened.
func (o *outbox) close() {
	o.mu.Lock()
	o.shut = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *outbox) write() {
	defer close(o.done)
	var buf bytes.Buffer
	for {
		o.mu.Lock()
		lines, shut := o.lines, o.shut
		o.lines = nil
		o.mu.Unlock()
		n := 0
		buf.Reset()
		for _, l := range lines {
			buf.Write(l)
			n += len(l)
		}
		if buf.Len() > 0 {
			_, err := o.w.Write(buf.Bytes())
			o.mu.Lock()
			o.bytes -= n
			if err != nil && o.err == nil {
				o.err = err
				o.lines, o.bytes = nil, 0
			}
			o.mu.Unlock()
		}
		if shut {
			// Lines sent after the last swap were refused, so none is lost.
			_ = o.w.Close()
			return
		}
		if len(lines) == 0 {
			<-o.wake
		}
	}
}

package server

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
	"unicode/utf8"
)

// logChunk is how much of a step's log is read at a time: a log of any
// size is sent in pieces, never read into memory whole.
const logChunk = 256 << 10

// maxLogLine is the longest line sent as it is. A longer one is cut
// here, with a note saying so: the argo CLI prints each message as a
// line of its own, so sending the rest as more messages would print a
// line break the step never wrote.
const maxLogLine = 1 << 20

// tail reads one step's log from where it stopped last time.
type tail struct {
	path    string
	offset  int64
	partial []byte // the line being read: at most maxLogLine bytes of it
	cut     int64  // bytes of that line beyond partial, left out
	buf     []byte // logChunk bytes, allocated on the first read
	missing bool   // the file did not exist at the last read
	noted   bool   // the client was told it is missing
	reads   int    // readAt calls
}

// readAt is the time the lines of the next read are taken to be
// written: the file's last change on the first read (they were written
// before it), the time of reading after that.
func (t *tail) readAt() time.Time {
	if t.reads++; t.reads == 1 {
		if fi, err := os.Stat(t.path); err == nil {
			return fi.ModTime()
		}
	}
	return time.Now()
}

// read hands emit each complete line added since the last read, up to
// the size the file had when the read began (so a step that writes
// faster than the client reads cannot keep one read going), and calls
// flush after each chunk. At the end (final) it also hands on an
// unterminated last line. It stops at the first error of emit or flush.
func (t *tail) read(final bool, emit func(string) error, flush func() error) error {
	f, err := os.Open(t.path)
	t.missing = errors.Is(err, fs.ErrNotExist) && logGone(t.path)
	if err == nil {
		defer func() { _ = f.Close() }()
		if err := t.readFile(f, emit, flush); err != nil {
			return err
		}
	}
	if final && (len(t.partial) > 0 || t.cut > 0) {
		return emit(t.take())
	}
	return nil
}

func (t *tail) readFile(f *os.File, emit func(string) error, flush func() error) error {
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	end := fi.Size()
	if t.buf == nil && t.offset < end {
		t.buf = make([]byte, logChunk)
	}
	for t.offset < end {
		n, rerr := f.ReadAt(t.buf[:min(int64(len(t.buf)), end-t.offset)], t.offset)
		t.offset += int64(n)
		if err := t.split(t.buf[:n], emit); err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		if rerr != nil || n == 0 {
			// Shorter than it was (truncated) or unreadable: the
			// next pass tries again from here.
			return nil
		}
	}
	return nil
}

// split hands emit the lines b ends and keeps the start of the next.
func (t *tail) split(b []byte, emit func(string) error) error {
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			t.add(b)
			return nil
		}
		var line string
		if len(t.partial) == 0 && t.cut == 0 && i <= maxLogLine {
			line = string(b[:i])
		} else {
			t.add(b[:i])
			line = t.take()
		}
		if err := emit(line); err != nil {
			return err
		}
		b = b[i+1:]
	}
}

// add appends part of a line, keeping at most maxLogLine bytes of it.
func (t *tail) add(b []byte) {
	room := maxLogLine - len(t.partial)
	if len(b) > room {
		t.cut += int64(len(b) - room)
		b = b[:room]
	}
	t.partial = append(t.partial, b...)
}

// take answers the line read so far, noting where it was cut.
func (t *tail) take() string {
	p := t.partial
	t.partial = t.partial[:0]
	if t.cut == 0 {
		return string(p)
	}
	total := int64(len(p)) + t.cut
	t.cut = 0
	// Cut between characters: drop a last one that was cut through.
	if i := lastRuneStart(p); i >= 0 && !utf8.FullRune(p[i:]) {
		p = p[:i]
	}
	return fmt.Sprintf("%s [semaflow: this line is %d bytes long; only its first %d are shown]", p, total, len(p))
}

// lastRuneStart finds where the last UTF-8 character of p begins, or -1.
func lastRuneStart(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			return i
		}
	}
	return -1
}

package server

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"time"
)

// logOptions are the parts of Kubernetes' PodLogOptions the argo CLI
// sends (argo logs -c, --since, --since-time, --tail, --timestamps)
// that semaflow honours. Step logs are plain files with no time per
// line, so the times are the server's (logOptions.timestamps), and
// --since picks whole steps (sinceFrom).
type logOptions struct {
	tailLines  int64 // < 0: all
	since      time.Time
	timestamps bool
}

// parseLogOptions reads logOptions.* from a log request's query; the
// error names the parameter.
func parseLogOptions(q url.Values, now time.Time) (logOptions, error) {
	o := logOptions{tailLines: -1}
	if c := q.Get("logOptions.container"); c != "" && c != "main" {
		return o, fmt.Errorf("logOptions.container %q: a semaflow step has one container, main "+
			"(Argo's init and wait containers are its executor's; semaflow's step supervisor reports to the server's log)", c)
	}
	if v := q.Get("logOptions.tailLines"); v != "" {
		n, err := queryCount("logOptions.tailLines", v)
		if err != nil {
			return o, err
		}
		o.tailLines = n
	}
	if v := q.Get("logOptions.sinceSeconds"); v != "" {
		n, err := queryCount("logOptions.sinceSeconds", v)
		if err != nil {
			return o, err
		}
		o.since = now.Add(-time.Duration(min(n, int64(1<<33))) * time.Second)
	}
	if v := q.Get("logOptions.sinceTime"); v != "" {
		if !o.since.IsZero() {
			return o, fmt.Errorf("logOptions.sinceTime and logOptions.sinceSeconds cannot be used together")
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return o, fmt.Errorf("logOptions.sinceTime %q: want an RFC 3339 time: %w", v, err)
		}
		o.since = t
	}
	o.timestamps = q.Get("logOptions.timestamps") == "true"
	return o, nil
}

// queryCount reads a non-negative integer parameter as the argo CLI
// sends it: its HTTP client turns a request into JSON, then each number
// into text with fmt's %v of a float64, so 1000000 arrives as "1e+06"
// and the largest int64 as "9.223372036854776e+18". Counts beyond an
// int64 are taken as the largest one (for --tail: every line). The error
// names the parameter and prints a number as an integer.
func queryCount(name, v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%s %d: want a non-negative integer", name, n)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s %q: want a non-negative integer", name, v)
	}
	if f < 0 || f != math.Trunc(f) {
		return 0, fmt.Errorf("%s %s: want a non-negative integer", name, strconv.FormatFloat(f, 'f', -1, 64))
	}
	if f >= math.MaxInt64 {
		return math.MaxInt64, nil
	}
	return int64(f), nil
}

// stale says whether a step's log was last written before the since
// time: --since leaves such a step out. A log that does not exist yet is
// not stale (its step has not written yet).
func (o logOptions) stale(path string) bool {
	if o.since.IsZero() {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.ModTime().Before(o.since)
}

// stamp prefixes a line with a time, as Kubernetes does with
// timestamps=true (RFC 3339 with nanoseconds, a space, the line). The
// time is when the line was read: for lines already written when the
// log is first read, the log file's last change (no earlier than they
// were written).
func stamp(line string, at time.Time) string {
	return at.UTC().Format(time.RFC3339Nano) + " " + line
}

// tailBlock is how much of a log is read at a time when looking for
// its last lines from the end.
const tailBlock = 64 << 10

// tailOffset finds where the last n lines of the file at path begin: a
// last line with no newline counts as a line. It reads backwards from
// the end, a block at a time, at most the whole file.
func tailOffset(path string, n int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end == 0 {
		return 0
	}
	if n == 0 {
		return end
	}
	buf := make([]byte, tailBlock)
	pos := end
	seen := int64(0)
	first := true
	for pos > 0 {
		size := int64(len(buf))
		if pos < size {
			size = pos
		}
		pos -= size
		if _, err := f.ReadAt(buf[:size], pos); err != nil && err != io.EOF {
			return 0
		}
		block := buf[:size]
		if first {
			first = false
			// A newline ending the file ends the last line; it starts none.
			if block[len(block)-1] == '\n' {
				block = block[:len(block)-1]
			}
		}
		for i := len(block) - 1; i >= 0; i-- {
			if block[i] != '\n' {
				continue
			}
			seen++
			if seen == n {
				return pos + int64(i) + 1
			}
		}
	}
	return 0
}

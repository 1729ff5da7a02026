package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// logSource is what run reads step logs through: the engine's record of
// where each step's log is, by node ID.
type logSource interface {
	LogPaths(ctx context.Context, uid string) (map[string]string, error)
}

// failedTailLines is how many of a failed step's last log lines run
// prints under the tree.
const failedTailLines = 20

// tailBytes bounds what is read to find those lines: a step that wrote
// gigabytes costs no more than one that wrote a page.
const tailBytes = 64 << 10

// maxLogLine cuts a line that long, so one huge line cannot flood the
// terminal.
const maxLogLine = 1000

// writeFailedLogs prints, for each failed step of wf, the last lines of
// its log. run keeps the logs until it exits, so they are all there.
func writeFailedLogs(ctx context.Context, w io.Writer, src logSource, wf *wfv1.Workflow) {
	var failed []wfv1.NodeStatus
	for _, n := range wf.Status.Nodes {
		if (n.Type == "Pod" || n.Type == "HTTP") && (n.Phase == wfv1.PhaseFailed || n.Phase == wfv1.PhaseError) {
			failed = append(failed, n)
		}
	}
	if len(failed) == 0 {
		return
	}
	sort.Slice(failed, func(i, j int) bool { return failed[i].Name < failed[j].Name })
	paths, err := src.LogPaths(ctx, wf.Metadata.UID)
	if err != nil {
		fmt.Fprintf(w, "\nlogs of %s: %v\n", wf.Metadata.Name, err)
		return
	}
	for _, n := range failed {
		path, ok := paths[n.ID]
		if !ok {
			continue
		}
		lines, err := lastLines(path, failedTailLines)
		switch {
		case err != nil:
			fmt.Fprintf(w, "\n%s/%s: log unreadable: %v\n", wf.Metadata.Name, n.DisplayName, err)
		case len(lines) == 0:
			fmt.Fprintf(w, "\n%s/%s failed and wrote nothing\n", wf.Metadata.Name, n.DisplayName)
		default:
			fmt.Fprintf(w, "\nLast %d log lines of failed step %s/%s:\n", len(lines), wf.Metadata.Name, n.DisplayName)
			for _, l := range lines {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
}

// lastLines returns up to n last lines of the file at path. A log file
// absent from its step's directory is a step that wrote nothing: no lines.
func lastLines(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(filepath.Dir(path)); derr == nil {
			return nil, nil
		}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(st.Size()-tailBytes, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, err
	}
	text := strings.TrimRight(string(buf), "\n")
	if text == "" {
		return nil, nil
	}
	lines := strings.Split(text, "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // the first is cut
	}
	lines = lines[max(len(lines)-n, 0):]
	for i, l := range lines {
		lines[i] = cutLine(l)
	}
	return lines, nil
}

func cutLine(l string) string {
	if len(l) > maxLogLine {
		return fmt.Sprintf("%s... [%d bytes]", l[:maxLogLine], len(l))
	}
	return l
}

// logFollower streams every step's output, each line prefixed with its
// workflow and step, as `argo submit --log` does.
type logFollower struct {
	w   io.Writer
	src logSource
	get func(ctx context.Context, namespace, name string) (*wfv1.Workflow, error)

	wfs   []*wfv1.Workflow // as submitted: UID, namespace, name
	tails map[string]*logTail
	order []string // tail keys, by when they were found
}

type logTail struct {
	prefix, path string
	offset       int64
	partial      []byte
}

// followLogs copies new log lines every interval until ctx ends, then
// copies what is left (partial last lines too) and returns.
func (f *logFollower) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			f.pass(context.WithoutCancel(ctx), true)
			return
		case <-t.C:
			f.pass(ctx, false)
		}
	}
}

// pass finds new steps and prints what their logs gained since the last
// pass; final prints a last line that has no newline too.
func (f *logFollower) pass(ctx context.Context, final bool) {
	for _, wf := range f.wfs {
		paths, err := f.src.LogPaths(ctx, wf.Metadata.UID)
		if err != nil {
			continue
		}
		var added []wfv1.NodeStatus
		var cur *wfv1.Workflow
		for id, path := range paths {
			key := wf.Metadata.UID + "/" + id
			if _, ok := f.tails[key]; ok {
				continue
			}
			if cur == nil {
				if cur, err = f.get(ctx, wf.Metadata.Namespace, wf.Metadata.Name); err != nil {
					break
				}
			}
			n, ok := cur.Status.Nodes[id]
			if !ok {
				n = wfv1.NodeStatus{ID: id, DisplayName: id}
			}
			f.tails[key] = &logTail{prefix: wf.Metadata.Name + "/" + n.DisplayName + ": ", path: path}
			added = append(added, n)
		}
		sort.Slice(added, func(i, j int) bool {
			a, b := added[i].StartedAt, added[j].StartedAt
			if a == nil || b == nil || a.Equal(*b) {
				return added[i].ID < added[j].ID
			}
			return a.Before(*b)
		})
		for _, n := range added {
			f.order = append(f.order, wf.Metadata.UID+"/"+n.ID)
		}
	}
	for _, key := range f.order {
		f.tails[key].copy(f.w, final)
	}
}

// copy prints the complete lines written since the last call (bounded
// per call, the rest comes next time).
func (t *logTail) copy(w io.Writer, final bool) {
	file, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer file.Close()
	buf := make([]byte, tailBytes)
	for range 64 {
		n, err := file.ReadAt(buf, t.offset)
		t.offset += int64(n)
		t.partial = append(t.partial, buf[:n]...)
		for {
			i := bytes.IndexByte(t.partial, '\n')
			if i < 0 {
				break
			}
			fmt.Fprintf(w, "%s%s\n", t.prefix, cutLine(string(t.partial[:i])))
			t.partial = t.partial[i+1:]
		}
		if len(t.partial) > maxLogLine {
			// A line that long is printed in pieces.
			fmt.Fprintf(w, "%s%s\n", t.prefix, t.partial)
			t.partial = nil
		}
		if err != nil || n == 0 {
			break
		}
	}
	if final && len(t.partial) > 0 {
		fmt.Fprintf(w, "%s%s\n", t.prefix, t.partial)
		t.partial = nil
	}
}

// followRunLogs starts streaming the logs of wfs to w and returns the
// function that stops it once what is written has been printed (safe to
// call more than once).
func followRunLogs(ctx context.Context, w io.Writer, eng interface {
	logSource
	Get(ctx context.Context, namespace, name string) (*wfv1.Workflow, error)
}, wfs []*wfv1.Workflow) func() {
	f := &logFollower{w: w, src: eng, get: eng.Get, wfs: wfs, tails: map[string]*logTail{}}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.run(ctx, 200*time.Millisecond)
	}()
	return func() {
		cancel()
		<-done
	}
}

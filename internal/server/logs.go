package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// logPoll is how often a followed log is read for new lines.
var logPoll = 100 * time.Millisecond

// logEntry is Argo's LogEntry.
type logEntry struct {
	Content string `json:"content"`
	PodName string `json:"podName"`
}

// tail reads one step's log from where it stopped last time.
type tail struct {
	path    string
	offset  int64
	partial []byte
}

// read returns the complete lines added since the last read; at the end
// (final) it also returns an unterminated last line.
func (t *tail) read(final bool) []string {
	var lines []string
	if f, err := os.Open(t.path); err == nil {
		if _, err := f.Seek(t.offset, io.SeekStart); err == nil {
			b, _ := io.ReadAll(io.LimitReader(f, 4<<20))
			t.offset += int64(len(b))
			t.partial = append(t.partial, b...)
		}
		_ = f.Close()
	}
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	if final && len(t.partial) > 0 {
		lines = append(lines, string(t.partial))
		t.partial = nil
	}
	return lines
}

// workflowLogs streams the logs of a workflow's steps (or of one, by
// podName: a node ID or name), in the order the steps started. With
// logOptions.follow it goes on until the workflow ends.
func (s *Server) workflowLogs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	pod := r.PathValue("podName")
	if pod == "" {
		pod = q.Get("podName")
	}
	var grep *regexp.Regexp
	if g := q.Get("grep"); g != "" {
		var err error
		if grep, err = regexp.Compile(g); err != nil {
			writeError(w, codeInvalid, "grep: "+err.Error())
			return
		}
	}
	follow := q.Get("logOptions.follow") == "true"
	wf, err := s.eng.Get(ctx, r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	if pod != "" && podNode(wf, pod) == "" {
		writeError(w, codeNotFound, "workflow "+wf.Metadata.Name+" has no step (pod) "+pod)
		return
	}
	lg := &logStreamer{s: s, st: newStream(w, r), wf: wf, pod: pod, grep: grep, tails: map[string]*tail{}}
	lg.run(ctx, follow)
}

type logStreamer struct {
	s     *Server
	st    *stream
	wf    *wfv1.Workflow
	pod   string
	grep  *regexp.Regexp
	tails map[string]*tail
	order []string
	known int // log paths seen so far
}

func (l *logStreamer) run(ctx context.Context, follow bool) {
	uid := l.wf.Metadata.UID
	tick := time.NewTicker(logPoll)
	defer tick.Stop()
	lastBeat := time.Now()
	for {
		// Read the state before the logs: once the workflow has ended,
		// this pass reads everything its steps wrote.
		ended := !follow || !l.s.eng.Running(uid)
		if err := l.refresh(ctx); err != nil {
			return
		}
		for _, id := range l.order {
			for _, line := range l.tails[id].read(ended) {
				if l.grep != nil && !l.grep.MatchString(line) {
					continue
				}
				if l.st.send(logEntry{Content: line, PodName: id}) != nil {
					return
				}
				lastBeat = time.Now()
			}
		}
		if ended {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if time.Since(lastBeat) > heartbeatEvery {
			if l.st.heartbeat() != nil {
				return
			}
			lastBeat = time.Now()
		}
	}
}

// refresh picks up steps that have started since the last pass.
func (l *logStreamer) refresh(ctx context.Context) error {
	paths, err := l.s.eng.LogPaths(ctx, l.wf.Metadata.UID)
	if err != nil || len(paths) == l.known {
		return err
	}
	l.known = len(paths)
	if wf, err := l.s.eng.Get(ctx, l.wf.Metadata.Namespace, l.wf.Metadata.Name); err == nil {
		l.wf = wf
	}
	var added []string
	for id, path := range paths {
		if _, ok := l.tails[id]; ok || (l.pod != "" && podNode(l.wf, l.pod) != id) {
			continue
		}
		l.tails[id] = &tail{path: path}
		added = append(added, id)
	}
	nodes := l.wf.Status.Nodes
	sort.Slice(added, func(i, j int) bool {
		a, b := nodes[added[i]].StartedAt, nodes[added[j]].StartedAt
		if a == nil || b == nil || a.Equal(*b) {
			return added[i] < added[j]
		}
		return a.Before(*b)
	})
	l.order = append(l.order, added...)
	return nil
}

// podNode finds the node a pod name means: its ID or its name.
func podNode(wf *wfv1.Workflow, pod string) string {
	if _, ok := wf.Status.Nodes[pod]; ok {
		return pod
	}
	for id, n := range wf.Status.Nodes {
		if n.Name == pod || (n.DisplayName == pod && n.Type == "Pod") {
			return id
		}
	}
	return ""
}

package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
)

// logPoll is how often a followed log is read for new lines.
var logPoll = 100 * time.Millisecond

// logEntry is Argo's LogEntry.
type logEntry struct {
	Content string `json:"content"`
	PodName string `json:"podName"`
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
	opts, err := parseLogOptions(q, time.Now())
	if err != nil {
		writeError(w, codeInvalid, err.Error())
		return
	}
	wf, err := s.eng.Get(ctx, r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	// The logs are on the disk of the node that ran the steps.
	if err := s.eng.LogsElsewhere(ctx, wf); err != nil {
		s.logsElsewhere(w, r, wf, err)
		return
	}
	if pod != "" && podNode(wf, pod) == "" {
		writeError(w, codeNotFound, fmt.Sprintf("workflow %s has no step (pod) %q", wf.Metadata.Name, pod))
		return
	}
	// Nothing at all to show is an error, not an empty success; a part
	// missing is noted in the stream, beside the logs that are there.
	if missing, selected, err := s.missingLogs(ctx, wf, pod); err != nil {
		writeStoreError(w, err)
		return
	} else if selected > 0 && len(missing) == selected {
		writeError(w, codeNotFound, fmt.Sprintf("workflow %s/%s: the log of step %s is missing: %s",
			wf.Metadata.Namespace, wf.Metadata.Name, strings.Join(missing, ", "), missingWhy))
		return
	}
	lg := &logStreamer{s: s, st: newStream(w, r), wf: wf, pod: pod, grep: grep, opts: opts, tails: map[string]*tail{}}
	lg.run(ctx, follow)
}

type logStreamer struct {
	s     *Server
	st    *stream
	wf    *wfv1.Workflow
	pod   string
	grep  *regexp.Regexp
	opts  logOptions
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
			sent, err := l.pass(id, ended)
			if err != nil {
				return
			}
			if sent {
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

// pass sends the lines step id wrote since the last pass, a chunk at a
// time, and flushes them; it says whether it sent any. An error means
// the client left.
func (l *logStreamer) pass(id string, ended bool) (bool, error) {
	t := l.tails[id]
	at := t.readAt()
	sent := false
	send := func(line string) error {
		if l.grep != nil && !l.grep.MatchString(line) {
			return nil
		}
		if l.opts.timestamps {
			line = stamp(line, at)
		}
		sent = true
		return l.st.put(logEntry{Content: line, PodName: id})
	}
	if err := t.read(ended, send, l.st.flush); err != nil {
		return sent, err
	}
	if t.missing && !t.noted && ended && stepEnded(l.wf, id) {
		t.noted = true
		if err := send("semaflow: the log of step " + stepName(l.wf, id) + " is missing: " + missingWhy); err != nil {
			return sent, err
		}
	}
	if sent {
		return true, l.st.flush()
	}
	return false, nil
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
		t := &tail{path: path}
		if l.opts.stale(path) {
			if stepEnded(l.wf, id) {
				continue
			}
			// Nothing written since: only what the step writes next.
			t.offset = tailOffset(path, 0)
		} else if l.opts.tailLines >= 0 {
			t.offset = tailOffset(path, l.opts.tailLines)
		}
		l.tails[id] = t
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

// logGone says whether the log at path is gone from the data directory.
// A step's log file is made at its first byte, so one that is absent in
// its step's directory is a step that wrote nothing: an empty log.
func logGone(path string) bool {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	_, err := os.Stat(filepath.Dir(path))
	return errors.Is(err, fs.ErrNotExist)
}

// missingWhy says what a missing log means.
const missingWhy = "its file is gone from the data directory"

// missingLogs names the ended steps, of those a request selects, whose
// log file does not exist, and counts the selected steps that have a log.
func (s *Server) missingLogs(ctx context.Context, wf *wfv1.Workflow, pod string) ([]string, int, error) {
	paths, err := s.eng.LogPaths(ctx, wf.Metadata.UID)
	if err != nil {
		return nil, 0, err
	}
	var missing []string
	selected := 0
	// Once, not per path: a step name is found by a scan of the nodes.
	podID := ""
	if pod != "" {
		podID = podNode(wf, pod)
	}
	for id, path := range paths {
		if pod != "" && podID != id {
			continue
		}
		selected++
		if logGone(path) && stepEnded(wf, id) {
			missing = append(missing, stepName(wf, id))
		}
	}
	sort.Strings(missing)
	return missing, selected, nil
}

// stepEnded says whether a step can write no more to its log.
func stepEnded(wf *wfv1.Workflow, id string) bool {
	n, ok := wf.Status.Nodes[id]
	return ok && n.FinishedAt != nil
}

func stepName(wf *wfv1.Workflow, id string) string {
	if n, ok := wf.Status.Nodes[id]; ok && n.Name != "" {
		return n.Name
	}
	return id
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

// logsElsewhere answers a request for logs kept on another node's disk:
// it sends it there while that node runs, or says where they are.
func (s *Server) logsElsewhere(w http.ResponseWriter, r *http.Request, wf *wfv1.Workflow, err error) {
	var ee *engine.ElsewhereError
	if !errors.As(err, &ee) {
		writeStoreError(w, err)
		return
	}
	switch {
	case ee.Live && ee.Addr == "":
		writeError(w, codeAborted, fmt.Sprintf("the logs of workflow %s are kept on node %s, a semaflow run, which serves no API: it prints them itself",
			ee.Workflow, ee.Node))
	case !ee.Live:
		msg := fmt.Sprintf("the logs of workflow %s are kept on node %s, which is not running (its lease ended at %s)",
			ee.Workflow, ee.Node, ee.Ended.Local().Format(time.TimeOnly))
		if p := wf.Status.Phase; p != wfv1.PhaseSucceeded && p != wfv1.PhaseFailed && p != wfv1.PhaseError {
			msg += fmt.Sprintf(": another node adopts the workflow by %s and serves the logs of the steps it runs from then",
				ee.Adopt.Local().Format(time.TimeOnly))
		}
		writeError(w, codeNotFound, msg)
	default:
		s.forward(w, r, ee, true)
	}
}

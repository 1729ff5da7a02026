package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
)

// recorded is one request of testdata/argocli/v4.1.2.jsonl (its README):
// what the argo CLI sent for the command Cmd, and what semaflow answered.
type recorded struct {
	Step      string `json:"step"`
	Cmd       string `json:"cmd"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Accept    string `json:"accept"`
	Body      string `json:"body"`
	Status    int    `json:"status"`
	Warning   string `json:"warning"`
	Answer    string `json:"answer"`
	Truncated bool   `json:"truncated"`
}

func loadRecording(t *testing.T) []recorded {
	t.Helper()
	f, err := os.Open("testdata/argocli/v4.1.2.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []recorded
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e recorded
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("testdata/argocli/v4.1.2.jsonl line %d: %v", len(out)+1, err)
		}
		out = append(out, e)
	}
	return out
}

// replayer plays recorded requests in order against one server. Names
// the server generated (hello-b5k6m) differ from the recording's: the
// first answer that shows one maps it, in later paths, bodies and facts.
type replayer struct {
	base  string
	hc    *http.Client
	names map[string]string
	// settle bounds how long a request is repeated while its answer
	// differs from the recording's, when repeating it changes nothing: a
	// read, or a request the server refused (the recording's CLI ran
	// after its workflows had moved on, as --wait or time made them).
	settle time.Duration
}

// play sends e and answers how the server's answer differs from the
// recorded one, "" when it does not.
func (r *replayer) play(e recorded) string {
	rep := r.replacer()
	path, body := rep.Replace(e.Path), rep.Replace(e.Body)
	if cut, ok := strings.CutSuffix(body, "...(truncated)"); ok {
		body = cut + strings.Repeat("x", 10<<20) + `"]}}` // the 10 MB parameter file, grown back
	}
	deadline := time.Now().Add(r.settle)
	r.awaitPhase(e, path, deadline)
	for {
		status, warning, answer, err := r.send(e.Method, path, e.Accept, body, isStream(e.Answer))
		diff := ""
		if err != nil {
			diff = err.Error()
		} else {
			diff = r.compare(e, status, warning, answer)
		}
		retry := e.Method == http.MethodGet || status >= 400
		if diff == "" || !retry || time.Now().After(deadline) {
			if diff != "" {
				diff = fmt.Sprintf("%s (%s): %s %s: %s", e.Step, e.Cmd, e.Method, path, diff)
			}
			return diff
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// awaitPhase holds a change to a workflow (suspend, stop, node set, ...),
// which is not repeated, while the workflow has not started and its
// recorded answer shows another phase: the recording's CLI ran once the
// workflow had started, and a replay that acts sooner gets another
// answer. Past the deadline the request goes anyway, and compare says
// what differs.
func (r *replayer) awaitPhase(e recorded, path string, deadline time.Time) {
	rest, ok := strings.CutPrefix(path, "/api/v1/workflows/")
	if e.Method == http.MethodGet || !ok {
		return
	}
	parts := strings.Split(strings.SplitN(rest, "?", 2)[0], "/")
	if len(parts) < 3 {
		return
	}
	var want, name string
	for _, f := range answerFacts(r.replacer().Replace(e.Answer)) {
		if p, ok := strings.CutPrefix(f, "phase "); ok && p != "" {
			want = "phase " + p
		}
		if n, ok := strings.CutPrefix(f, "name "); ok {
			name = n
		}
	}
	if parts[1] == "@latest" {
		// The recorded answer names the workflow @latest meant then;
		// the replay's latest is the same one, under its mapped name.
		parts[1] = name
	}
	if want == "" || parts[1] == "" {
		return
	}
	get := "/api/v1/workflows/" + parts[0] + "/" + parts[1]
	for time.Now().Before(deadline) {
		_, _, answer, err := r.send(http.MethodGet, get, "", "", false)
		facts := answerFacts(answer)
		if err != nil || slices.Contains(facts, want) || !slices.Contains(facts, "phase Pending") && !slices.Contains(facts, "phase ") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// send makes the request; a stream is read as the CLI reads it: a log
// to its end, workflow events until the workflow has ended.
func (r *replayer) send(method, path, accept, body string, stream bool) (int, string, string, error) {
	req, err := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Authorization", "Bearer x")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		// Unframed, a line still ends the read when its workflow has ended.
		f := streamFact("data: " + strings.TrimPrefix(sc.Text(), "data: "))
		if stream && strings.HasPrefix(f, "event ") && terminal[f[strings.LastIndexByte(f, ' ')+1:]] {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return 0, "", "", fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, resp.Header.Get("Warning"), b.String(), nil
}

// compare checks what the CLI reads: the status, the Warning header,
// and the answer's facts; of a workflow-events stream, its framing and
// its last event (how many MODIFIED events come before is timing).
func (r *replayer) compare(e recorded, status int, warning, answer string) string {
	r.learn(e.Answer, answer)
	rep := r.replacer()
	if status != e.Status {
		return fmt.Sprintf("status %d, recorded %d: %.300s", status, e.Status, answer)
	}
	if want := rep.Replace(e.Warning); want != warning {
		return fmt.Sprintf("Warning header %q, recorded %q", warning, want)
	}
	want, got := answerFacts(rep.Replace(e.Answer)), answerFacts(answer)
	if e.Truncated || strings.Contains(e.Path, "/workflow-events/") {
		for _, f := range got {
			if !strings.HasPrefix(f, "event ") && !strings.HasPrefix(f, "log ") {
				return fmt.Sprintf("stream line %q", f)
			}
		}
		want, got = want[len(want)-1:], got[max(len(got)-1, 0):]
	}
	if !slices.Equal(want, got) {
		return fmt.Sprintf("answer\n\t%q\nrecorded\n\t%q", got, want)
	}
	return ""
}

// learn maps the recording's generated names, and list continue tokens,
// to the replay's, pairing objects in the order the answers list them.
func (r *replayer) learn(recordedAnswer, answer string) {
	was, is := namesIn(recordedAnswer), namesIn(answer)
	for i := range min(len(was), len(is)) {
		if _, known := r.names[was[i]]; !known && was[i] != is[i] {
			r.names[was[i]] = is[i]
			r.names[url.QueryEscape(was[i])] = url.QueryEscape(is[i])
		}
	}
}

func (r *replayer) replacer() *strings.Replacer {
	var pairs []string
	for k, v := range r.names {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...)
}

// namesIn lists the generated names and the continue token in an answer.
func namesIn(answer string) []string {
	var objs []map[string]any
	if isStream(answer) {
		for l := range strings.SplitSeq(answer, "\n") {
			var ev struct {
				Result struct {
					Object map[string]any `json:"object"`
				} `json:"result"`
			}
			if p, ok := strings.CutPrefix(l, "data: "); ok && json.Unmarshal([]byte(p), &ev) == nil && ev.Result.Object != nil {
				objs = append(objs, ev.Result.Object)
			}
		}
	} else {
		var v map[string]any
		_ = json.Unmarshal([]byte(answer), &v)
		objs = append(objs, v)
		if c := str(v, "metadata", "continue"); c != "" {
			return []string{c}
		}
		for _, it := range func() []any { items, _ := v["items"].([]any); return items }() {
			o, _ := it.(map[string]any)
			objs = append(objs, o)
		}
	}
	var out []string
	for _, o := range objs {
		if gen := str(o, "metadata", "generateName"); gen != "" && strings.HasPrefix(str(o, "metadata", "name"), gen) {
			out = append(out, str(o, "metadata", "name"))
		}
	}
	return out
}

// replay plays recs in order against the handler's server and answers
// the first difference from the recording, "" when there is none.
func replay(t *testing.T, wrap func(http.Handler) http.Handler, recs []recorded, settle time.Duration) string {
	t.Helper()
	_, ts := serve(t, func(e *engine.Engine) http.Handler {
		e.StartCron()
		return wrap(apiHandler(e))
	})
	r := &replayer{base: ts.URL, hc: &http.Client{Timeout: 20 * time.Second}, names: map[string]string{}, settle: settle}
	for _, e := range recs {
		if diff := r.play(e); diff != "" {
			return diff
		}
	}
	return ""
}

// The requests the real argo CLI v4.1.2 sent for every command
// docs/argo-cli.md marks as working (testdata/argocli/README.md), played
// in order against a fresh server: each answer gives the CLI what the
// recorded one gave it.
func TestArgoCLIReplay(t *testing.T) {
	if diff := replay(t, func(h http.Handler) http.Handler { return h }, loadRecording(t), 10*time.Second); diff != "" {
		t.Fatal(diff)
	}
}

package server_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// bigLine is line i of the big logs these tests write: ~107 bytes.
func bigLine(i int) string {
	return fmt.Sprintf("line %07d %s", i, strings.Repeat("x", 90))
}

// readLog GETs a log and hands each message's content to see, reading
// the stream a line at a time (lines may be over 1 MiB); it answers the
// status and the number of messages.
func readLog(t *testing.T, url string, see func(i int, content string)) (int, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Logf("GET %s: %d %s", url, resp.StatusCode, b)
		return resp.StatusCode, 0
	}
	rd := bufio.NewReader(resp.Body)
	n := 0
	for {
		b, err := rd.ReadBytes('\n')
		if s := strings.TrimSpace(string(b)); s != "" {
			var l streamLine
			if jerr := json.Unmarshal([]byte(s), &l); jerr != nil {
				t.Fatalf("GET %s: message %d: %v", url, n, jerr)
			}
			see(n, l.Result.Content)
			n++
		}
		if errors.Is(err, io.EOF) {
			return resp.StatusCode, n
		}
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
}

// endedWithLog runs a one-step workflow to its end, then replaces its
// step's log file with what write writes, as a step that printed it
// would have left it.
func endedWithLog(t *testing.T, c *apiClient, name string, write func(w *bufio.Writer)) {
	t.Helper()
	c.submit(name, `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["echo", "small"]}}]}`)
	c.waitPhase(name, "Succeeded", 20*time.Second)
	_, out := c.do("GET", "/api/v1/workflows/default/"+name, "")
	md, _ := out["metadata"].(map[string]any)
	uid, _ := md["uid"].(string)
	paths, err := c.local.Engine.LogPaths(t.Context(), uid)
	if err != nil || len(paths) != 1 {
		t.Fatalf("log paths of %s: %v %v", name, paths, err)
	}
	for _, p := range paths {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		write(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// A step log of ~21 MB is served whole, line by line, by a plain
// request and by a followed one after the step ended; --tail N over it
// answers exactly the last N lines.
func TestLogBigStepLogWhole(t *testing.T) {
	c := startAPI(t)
	const lines = 200000
	endedWithLog(t, c, "big", func(w *bufio.Writer) {
		for i := range lines {
			_, _ = w.WriteString(bigLine(i) + "\n")
		}
		_, _ = w.WriteString("END") // no newline at the end
	})
	base := c.base + "/api/v1/workflows/default/big/log"
	for _, q := range []string{"", "?logOptions.follow=true", "?logOptions.timestamps=true"} {
		code, n := readLog(t, base+q, func(i int, content string) {
			want := "END"
			if i < lines {
				want = bigLine(i)
			}
			if q == "?logOptions.timestamps=true" {
				if _, rest, ok := strings.Cut(content, " "); ok {
					content = rest
				}
			}
			if content != want {
				t.Fatalf("GET log%s: message %d is %.40q, want %.40q", q, i, content, want)
			}
		})
		if code != 200 || n != lines+1 {
			t.Fatalf("GET log%s: %d, %d messages, want %d", q, code, n, lines+1)
		}
	}
	var got []string
	code, n := readLog(t, base+"?logOptions.tailLines=3", func(_ int, content string) { got = append(got, content) })
	if want := []string{bigLine(lines - 2), bigLine(lines - 1), "END"}; code != 200 || n != 3 || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("--tail 3: %d %q", code, got)
	}
}

// A followed log of a step that prints ~18 MB quickly, while it runs,
// delivers every line and the last one.
func TestLogFollowBigRunningStep(t *testing.T) {
	c := startAPI(t)
	c.submit("gush", `{"entrypoint": "main", "templates": [{"name": "main", "script": {"image": "x", "command": ["sh"],
	  "source": "sleep 1; yes 0123456789abcdefghijklmnopqrstuvwxyz 2>/dev/null | head -n 500000; echo END"}}]}`)
	code, n := readLog(t, c.base+"/api/v1/workflows/default/gush/log?logOptions.follow=true", func(i int, content string) {
		want := "0123456789abcdefghijklmnopqrstuvwxyz"
		if i == 500000 {
			want = "END"
		}
		if content != want {
			t.Fatalf("followed log: message %d is %.40q, want %q", i, content, want)
		}
	})
	if code != 200 || n != 500001 {
		t.Fatalf("followed log: %d, %d messages, want 500001", code, n)
	}
}

// A line over 1 MiB is cut there, with a note saying so in the same
// message (the argo CLI prints each message as a line of its own), and
// the lines after it come whole; --tail counts it as one line.
func TestLogLongLineCut(t *testing.T) {
	c := startAPI(t)
	endedWithLog(t, c, "long", func(w *bufio.Writer) {
		_, _ = w.WriteString("first\n")
		_, _ = w.WriteString(strings.Repeat("y", 5<<20) + "\n")
		_, _ = w.WriteString("after\n")
		_, _ = w.WriteString("a" + strings.Repeat("é", 3<<19)) // 3 MiB and a byte, no newline
	})
	const note = "[semaflow: this line is %d bytes long; only its first %d are shown]"
	check := func(q string, want []string) {
		t.Helper()
		var got []string
		code, _ := readLog(t, c.base+"/api/v1/workflows/default/long/log"+q, func(_ int, content string) { got = append(got, content) })
		if code != 200 || len(got) != len(want) {
			t.Fatalf("GET log%s: %d, %d messages, want %d", q, code, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("GET log%s: message %d is %d bytes (%.30q … %q), want %d (%.30q … %q)", q, i,
					len(got[i]), got[i], got[i][max(0, len(got[i])-90):], len(want[i]), want[i], want[i][max(0, len(want[i])-90):])
			}
		}
	}
	cutY := strings.Repeat("y", 1<<20) + " " + fmt.Sprintf(note, 5<<20, 1<<20)
	// 1 MiB falls inside an é (2 bytes): the cut keeps whole characters.
	cutE := "a" + strings.Repeat("é", 1<<19-1) + " " + fmt.Sprintf(note, 3<<20+1, 1<<20-1)
	check("", []string{"first", cutY, "after", cutE})
	check("?logOptions.follow=true", []string{"first", cutY, "after", cutE})
	check("?logOptions.tailLines=3", []string{cutY, "after", cutE})
}

// --tail takes any int64 the argo CLI sends: it writes numbers of a
// million and more as floats ("1e+06"); over the line count means all.
// --since takes them the same way. A refused number is printed as an
// integer.
func TestLogOptionsNumbersAsTheCLISendsThem(t *testing.T) {
	c := startAPI(t)
	endedWithLog(t, c, "nums", func(w *bufio.Writer) { _, _ = w.WriteString("a\nb\nc\n") })
	base := c.base + "/api/v1/workflows/default/nums/log?"
	for _, q := range []string{"logOptions.tailLines=99999999999", "logOptions.tailLines=9.9999999999e%2B10",
		"logOptions.tailLines=1e%2B06", "logOptions.tailLines=9.223372036854776e%2B18", "logOptions.tailLines=9223372036854775807",
		"logOptions.sinceSeconds=1.08e%2B06"} {
		if code, n := readLog(t, base+q, func(int, string) {}); code != 200 || n != 3 {
			t.Fatalf("%s: %d, %d lines, want all 3", q, code, n)
		}
	}
	for q, want := range map[string]string{
		"logOptions.tailLines=-1e%2B07":    `logOptions.tailLines -10000000: want a non-negative integer`,
		"logOptions.tailLines=1.5":         `logOptions.tailLines 1.5: want a non-negative integer`,
		"logOptions.tailLines=x":           `logOptions.tailLines "x": want a non-negative integer`,
		"logOptions.sinceSeconds=-2e%2B06": `logOptions.sinceSeconds -2000000: want a non-negative integer`,
	} {
		code, out := c.do("GET", "/api/v1/workflows/default/nums/log?"+q, "")
		if msg, _ := out["message"].(string); code != 400 || msg != want {
			t.Fatalf("%s: %d %q, want 400 %q", q, code, msg, want)
		}
	}
}

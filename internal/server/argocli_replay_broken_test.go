package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

// broken is a server that answers wrongly: it replaces old with new in
// every answer and leaves out the header drop.
type broken struct {
	http.ResponseWriter
	old, new, drop string
}

func (b *broken) fix() {
	b.Header().Del("Content-Length")
	if b.drop != "" {
		b.Header().Del(b.drop)
	}
}

func (b *broken) WriteHeader(code int) { b.fix(); b.ResponseWriter.WriteHeader(code) }

func (b *broken) Write(p []byte) (int, error) {
	b.fix()
	if b.old != "" {
		p2 := bytes.ReplaceAll(p, []byte(b.old), []byte(b.new))
		_, err := b.ResponseWriter.Write(p2)
		return len(p), err
	}
	return b.ResponseWriter.Write(p)
}

func (b *broken) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// The replay fails on a server that differs in what the CLI reads: an
// error code, a name, a phase, the stream framing, the Warning header.
// Each case replays the recording up to the step that must catch it.
func TestArgoCLIReplayCatchesBrokenAnswers(t *testing.T) {
	recs := loadRecording(t)
	for _, tc := range []struct{ what, old, new, drop, step string }{
		{"error code", `"code":5`, `"code":2`, "", "latest-empty"},
		{"name", `"name":"greet"`, `"name":"greeting"`, "", "template-create"},
		{"stream framing", "data: ", "", "", "submit-wait"},
		{"phase", `"phase":"Succeeded"`, `"phase":"Failed"`, "", "submit-wait"},
		{"warning", "", "", "Warning", "submit-serviceaccount"},
		{"sync type as a number", `"type":1`, `"type":"DATABASE"`, "", "sync-create-db"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			end := len(recs)
			for i, e := range recs {
				if e.Step == tc.step {
					end = i + 1
				}
			}
			if end == len(recs) {
				t.Fatalf("step %s is not in the recording", tc.step)
			}
			wrap := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(&broken{ResponseWriter: w, old: tc.old, new: tc.new, drop: tc.drop}, r)
				})
			}
			diff := replay(t, wrap, recs[:end], time.Second)
			if !strings.HasPrefix(diff, tc.step+" ") {
				t.Fatalf("a server whose answers differ (%s) passes the replay up to %s: %q", tc.what, tc.step, diff)
			}
			t.Log(diff)
		})
	}
}

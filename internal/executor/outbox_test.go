package executor

import (
	"bufio"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// Lines arrive whole and in order even when the reader lags far behind
// the sender; close flushes them; a send after close is refused.
func TestOutboxKeepsOrderAndFlushesOnClose(t *testing.T) {
	r, w := io.Pipe()
	o := newOutbox(w)
	const n = 20000 // well over a pipe's worth
	for i := range n {
		if err := o.send(notice{Key: "k", Event: "exited", At: time.Unix(int64(i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if o.backlog() == 0 {
		t.Fatal("nothing is read yet, but the backlog is empty")
	}
	o.close()
	if err := o.send(notice{Key: "late"}); err == nil {
		t.Fatal("a send after close was taken")
	}
	sc := bufio.NewScanner(r)
	i := 0
	for sc.Scan() {
		var got notice
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if got.At.Unix() != int64(i) {
			t.Fatalf("line %d holds notice %d", i, got.At.Unix())
		}
		i++
	}
	<-o.done
	if i != n || o.backlog() != 0 {
		t.Fatalf("%d of %d lines arrived, backlog %d", i, n, o.backlog())
	}
}

// Once the pipe is broken, sends fail instead of piling up.
func TestOutboxRefusesAfterAWriteError(t *testing.T) {
	r, w := io.Pipe()
	_ = r.Close()
	o := newOutbox(w)
	_ = o.send(notice{Key: "a"})
	deadline := time.Now().Add(5 * time.Second)
	for o.send(notice{Key: "b"}) == nil {
		if time.Now().After(deadline) {
			t.Fatal("sends into a broken pipe are still taken")
		}
		time.Sleep(time.Millisecond)
	}
	if o.backlog() != 0 {
		t.Fatalf("backlog %d after the pipe broke", o.backlog())
	}
	o.close()
	<-o.done
}

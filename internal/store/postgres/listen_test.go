package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

func listenTest(t *testing.T, s handle) <-chan store.Notice {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	ch, err := s.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// nextNotice waits up to 30s for a notice.
func nextNotice(t *testing.T, ch <-chan store.Notice) store.Notice {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(30 * time.Second):
		t.Fatal("no notice within 30s")
		return store.Notice{}
	}
}

func noNotice(t *testing.T, ch <-chan store.Notice) {
	t.Helper()
	select {
	case n := <-ch:
		t.Fatalf("unexpected notice %+v", n)
	case <-time.After(300 * time.Millisecond):
	}
}

func putObjects(t *testing.T, s store.Store, names ...string) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.Tx) error {
		for _, name := range names {
			if err := tx.PutObject(ctx, store.Object{Kind: "ConfigMap", Namespace: "default", Name: name, Doc: []byte(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func objectNotice(name string) store.Notice {
	return store.Notice{Topic: store.TopicObject, Key: "ConfigMap default/" + name}
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// TestSlowReaderGetsResync: notices that a reader does not take are
// dropped past NoticeBuffer for a resync; the reader then hears later
// changes as before.
func TestSlowReaderGetsResync(t *testing.T) {
	s := openTest(t, testkit.NewDatabase(t), Options{NoticeBuffer: 4})
	ch := listenTest(t, s)
	putObjects(t, s, names("burst", 200)...)
	time.Sleep(500 * time.Millisecond) // the connection is read meanwhile
	// What a notice the reader holds misses is covered by the resync that
	// follows it: one per time the queue overflowed, then silence.
	var got []store.Notice
	for {
		select {
		case n := <-ch:
			got = append(got, n)
			continue
		case <-time.After(500 * time.Millisecond):
		}
		break
	}
	resyncs := 0
	for _, n := range got {
		if n.Topic == store.TopicResync {
			resyncs++
		}
	}
	if resyncs == 0 || len(got) > 20 || got[len(got)-1].Topic != store.TopicResync {
		t.Fatalf("200 notices for a reader that took none, with room for 4: got %v; want a few, the last a resync", got)
	}
	putObjects(t, s, "later")
	if n := nextNotice(t, ch); n != objectNotice("later") {
		t.Fatalf("after the resync: %+v", n)
	}
}

// TestManyNoticesOneResync: a transaction that changes more than
// maxNotices things sends one resync instead.
func TestManyNoticesOneResync(t *testing.T) {
	s := openTest(t, testkit.NewDatabase(t), Options{})
	ch := listenTest(t, s)
	putObjects(t, s, names("many", maxNotices+1)...)
	if n := nextNotice(t, ch); n.Topic != store.TopicResync {
		t.Fatalf("%d changes in one transaction: %+v, want one resync", maxNotices+1, n)
	}
	noNotice(t, ch)
}

// TestListenPingKeepsConnection: a listening connection that stays
// silent past ListenPing is checked and kept, and hears what comes next
// without a resync.
func TestListenPingKeepsConnection(t *testing.T) {
	s := openTest(t, testkit.NewDatabase(t), Options{ListenPing: 100 * time.Millisecond})
	ch := listenTest(t, s)
	time.Sleep(time.Second)
	putObjects(t, s, "after-silence")
	if n := nextNotice(t, ch); n != objectNotice("after-silence") {
		t.Fatalf("after a silence: %+v, want the object's notice", n)
	}
}

// TestNoticeDecoding: a payload this version cannot read is a resync.
func TestNoticeDecoding(t *testing.T) {
	n := store.Notice{Topic: store.TopicWorkflow, Key: "uid", From: "s1"}
	if got := decodeNotice(encodeNotice(n)); got != n {
		t.Fatalf("round trip: %+v", got)
	}
	for _, p := range []string{"", "{", `{"k":"x"}`, "plain"} {
		if got := decodeNotice(p); got.Topic != store.TopicResync {
			t.Errorf("payload %q: %+v, want a resync", p, got)
		}
	}
	long := wfv1.Workflow{}
	long.Metadata.UID = string(make([]byte, maxPayload))
	if len(encodeNotice(store.Notice{Topic: store.TopicWorkflow, Key: long.Metadata.UID})) <= maxPayload {
		t.Fatal("a key as long as the payload limit fits")
	}
}

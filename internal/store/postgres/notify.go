package postgres

import (
	"encoding/json"

	"github.com/semaflow/semaflow/internal/store"
)

// channel is the one NOTIFY channel of a database's notices.
const channel = "semaflow"

const (
	// maxPayload keeps a notice under PostgreSQL's 8000-byte limit; a
	// longer one (a key that long) goes as a resync instead.
	maxPayload = 7900
	// maxNotices bounds what one transaction sends: beyond it, one resync
	// says as much as thousands of notices.
	maxNotices = 1000
)

// payload is a notice as NOTIFY carries it.
type payload struct {
	Topic string `json:"t"`
	Key   string `json:"k,omitempty"`
	From  string `json:"f,omitempty"`
}

func encodeNotice(n store.Notice) string {
	b, _ := json.Marshal(payload{Topic: n.Topic, Key: n.Key, From: n.From})
	return string(b)
}

// decodeNotice reads a payload; one this version cannot read (another
// version's) is a resync, so the listener re-reads rather than misses it.
func decodeNotice(s string) store.Notice {
	var p payload
	if err := json.Unmarshal([]byte(s), &p); err != nil || p.Topic == "" {
		return store.Notice{Topic: store.TopicResync}
	}
	return store.Notice{Topic: p.Topic, Key: p.Key, From: p.From}
}

// note queues a notice of this transaction's write, once however often
// the transaction writes the same thing.
func (t *txn) note(topic, key string) {
	n := store.Notice{Topic: topic, Key: key, From: t.session}
	if t.noted[n] {
		return
	}
	if t.noted == nil {
		t.noted = map[store.Notice]bool{}
	}
	t.noted[n] = true
	t.notices = append(t.notices, n)
}

// queueNotices queues the notices, in one statement, as the
// transaction's last before its COMMIT: PostgreSQL delivers them when it
// commits, and never if it rolls back.
func (t *txn) queueNotices() {
	if len(t.notices) == 0 {
		return
	}
	resync := encodeNotice(store.Notice{Topic: store.TopicResync})
	var payloads []string
	if len(t.notices) > maxNotices {
		payloads = []string{resync}
	} else {
		for _, n := range t.notices {
			p := encodeNotice(n)
			if len(p) > maxPayload {
				p = resync
			}
			payloads = append(payloads, p)
		}
	}
	t.later("send notices of the transaction's changes", `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, channel, payloads)
}

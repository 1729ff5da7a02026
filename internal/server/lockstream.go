package server

import (
	"net/http"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/locks"
)

// lockWriteTimeout is how long one event may take to reach a client: a
// client that reads nothing for that long is dropped, never buffered for.
var lockWriteTimeout = 10 * time.Second

// lockEvent is one message of the lock stream: every lock (of the
// namespace asked for) as sync-status shows it, and when it was read.
type lockEvent struct {
	Items []locks.View `json:"items"`
	Time  time.Time    `json:"time"`
}

func (s *Server) lockRoutes(mux *http.ServeMux) {
	// semaflow's own, for the Locks page: the locks as they change, and
	// their holders and waiters over the last hour.
	mux.HandleFunc("GET /api/v1/sync-events", s.streaming(s.syncEvents))
	mux.HandleFunc("GET /api/v1/sync-history", s.syncHistory)
}

// syncEvents streams the locks (of ?namespace=, as sync-status shows
// them): the current state first, then again at every change. Changes
// coalesce: a client gets the latest state when it is ready for it, so
// nothing queues up for a slow one; and every watcher of a namespace
// sends the same bytes, encoded once.
func (s *Server) syncEvents(w http.ResponseWriter, r *http.Request) {
	changed, stop := s.feed.subscribe()
	defer stop()
	// The first state, once read (at once unless the feed just started).
	select {
	case <-r.Context().Done():
		return
	case <-changed:
	}
	ns := r.URL.Query().Get("namespace")
	st := newStream(w, r)
	rc := http.NewResponseController(w)
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	var last uint64
	sent := false
	send := func() bool {
		body, gen, err := s.feed.event(ns)
		if err != nil {
			return false
		}
		if sent && gen == last {
			return true
		}
		last, sent = gen, true
		_ = rc.SetWriteDeadline(time.Now().Add(lockWriteTimeout))
		if st.sendEncoded(body) != nil {
			return false
		}
		_ = rc.SetWriteDeadline(time.Time{})
		return true
	}
	if !send() {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			_ = rc.SetWriteDeadline(time.Now().Add(lockWriteTimeout))
			if st.heartbeat() != nil {
				return
			}
			_ = rc.SetWriteDeadline(time.Time{})
		case <-changed:
			if !send() {
				return
			}
		}
	}
}

// lockHistoryItem is one lock's chart: holders and waiters from each
// point's time to the next.
type lockHistoryItem struct {
	Lock   string      `json:"lock"`
	Points []histPoint `json:"points"`
}

// syncHistory answers the holders and waiters of each lock (of
// ?namespace=, or ?lock= alone) over the last hour, as far back as the
// server has followed them (since it started, as `semaflow server` starts
// following at once).
func (s *Server) syncHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ns, only := q.Get("namespace"), q.Get("lock")
	now := time.Now()
	since := now.Add(-historyWindow).UnixMilli()
	items := []lockHistoryItem{}
	s.feed.mu.Lock()
	for key := range s.feed.hist.byLock {
		if only != "" && key != only {
			continue
		}
		if ns != "" {
			if k, err := domain.ParseLockKey(key); err != nil || k.Namespace != ns {
				continue
			}
		}
		items = append(items, lockHistoryItem{Lock: key, Points: s.feed.hist.points(key, since)})
	}
	s.feed.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "from": since, "now": now.UnixMilli(),
		"stepSeconds": historyStep.Seconds()})
}

package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/semaflow/semaflow/internal/store"
)

// Listen's connections carry their own application_name, so that an
// operator (or a test) can tell them from the pool's in pg_stat_activity.
const (
	listenAppParam = "application_name"
	listenAppName  = "semaflow-listen"
)

var resync = store.Notice{Topic: store.TopicResync}

// Listen delivers the notices of this database's committed changes (see
// store.Shared) from a connection of its own, outside the pool: LISTEN
// ties a session to the connection. Notices committed after Listen
// returns are delivered. A lost connection is reconnected with bounded
// backoff, then a resync is sent. A reader slower than the notices come
// loses them for one resync once Options.NoticeBuffer are waiting: the
// connection is read on regardless, and what waits stays bounded.
func (s *Store) Listen(ctx context.Context) (<-chan store.Notice, error) {
	conn, err := s.listenConn(ctx)
	if err != nil {
		return nil, err
	}
	q := &noticeQueue{max: s.opts.NoticeBuffer, wake: make(chan struct{}, 1)}
	out := make(chan store.Notice)
	go s.readNotices(ctx, conn, q)
	go q.deliver(ctx, out)
	return out, nil
}

// listenConn connects and listens.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	const what = "listen for notices"
	conn, err := pgx.ConnectConfig(ctx, s.listen)
	if err != nil {
		return nil, s.storeError(ctx, what, err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+channel); err != nil {
		closeConn(conn)
		return nil, s.storeError(ctx, what, err)
	}
	return conn, nil
}

// closeConn closes a listening connection, a bounded time: one cut off
// by the network must not hold the reader.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// readNotices reads conn until ctx ends, reconnecting when it is lost.
func (s *Store) readNotices(ctx context.Context, conn *pgx.Conn, q *noticeQueue) {
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	for ctx.Err() == nil {
		err := s.waitNotice(ctx, conn, q)
		if ctx.Err() != nil {
			return
		}
		s.opts.Logger.Warn("lost the connection that listens for other nodes' changes; reconnecting", "database", s.name, "err", err)
		closeConn(conn)
		if conn = s.reconnect(ctx); conn == nil {
			return
		}
		s.opts.Logger.Info("listening for other nodes' changes again; re-reading what may have been missed", "database", s.name)
		q.push(resync)
	}
}

// waitNotice queues notices as they come, checking the connection when
// it stays silent for ListenPing, and returns why it stopped.
func (s *Store) waitNotice(ctx context.Context, conn *pgx.Conn, q *noticeQueue) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, s.opts.ListenPing)
		n, err := conn.WaitForNotification(wctx)
		silent := wctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			q.push(decodeNotice(n.Payload))
			continue
		case !silent || conn.IsClosed():
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, min(s.opts.ListenPing, 10*time.Second))
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}

// reconnect tries to listen again, waiting ReconnectMin before the first
// try and twice as long before each next one, up to ReconnectMax, until
// ctx ends (then nil).
func (s *Store) reconnect(ctx context.Context) *pgx.Conn {
	wait := s.opts.ReconnectMin
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		conn, err := s.listenConn(ctx)
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		s.opts.Logger.Warn("cannot listen for other nodes' changes yet", "database", s.name, "retry", min(2*wait, s.opts.ReconnectMax), "err", err)
		wait = min(2*wait, s.opts.ReconnectMax)
	}
}

// noticeQueue holds notices between the reader of the connection, which
// must never wait for Listen's reader, and Listen's reader. Past max
// notices it drops them all for one resync, which covers every notice
// queued before the reader takes it.
type noticeQueue struct {
	mu     sync.Mutex
	items  []store.Notice
	resync bool
	max    int
	wake   chan struct{} // capacity 1: something was pushed
}

func (q *noticeQueue) push(n store.Notice) {
	q.mu.Lock()
	switch {
	case q.resync:
		// The pending resync covers n.
	case n.Topic == store.TopicResync, len(q.items) >= q.max:
		q.items, q.resync = nil, true
	default:
		q.items = append(q.items, n)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take gives the next notice, a pending resync first, waiting for one
// until ctx ends.
func (q *noticeQueue) take(ctx context.Context) (store.Notice, error) {
	for {
		q.mu.Lock()
		switch {
		case q.resync:
			q.resync = false
			q.mu.Unlock()
			return resync, nil
		case len(q.items) > 0:
			n := q.items[0]
			q.items = q.items[1:]
			if len(q.items) == 0 {
				q.items = nil
			}
			q.mu.Unlock()
			return n, nil
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return store.Notice{}, ctx.Err()
		}
	}
}

// deliver hands notices to out until ctx ends, then closes it.
func (q *noticeQueue) deliver(ctx context.Context, out chan<- store.Notice) {
	defer close(out)
	for {
		n, err := q.take(ctx)
		if err != nil {
			return
		}
		select {
		case out <- n:
		case <-ctx.Done():
			return
		}
	}
}

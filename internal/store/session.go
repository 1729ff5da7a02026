package store

import (
	"context"
	"errors"
	"time"
)

// ErrSessionLost means a session is no longer the store's: it was closed,
// or another engine took it over after its lease expired. An engine that
// meets it must stop writing at once (fence itself): what it believes it
// owns is another engine's now.
var ErrSessionLost = errors.New("session lost")

// Session is one engine's claim on the store, on etcd's session and lease
// model: the engine records it when it starts, renews its lease while it
// lives and removes it when it stops. Workflows, lock holds and running
// steps name the session that owns them. A session whose lease expired (or
// whose process is known dead) may be taken over by another engine, which
// then owns what it owned.
type Session struct {
	ID string
	// Kind is what the engine runs for: "run", "server" or "sync".
	Kind string
	// Node is the engine's node name (--node-name; the host name by
	// default): on a shared database, a restarted engine with the same
	// node name and data directory follows its earlier steps.
	Node string
	Host string
	PID  int
	// Process tells the engine's process from a later one that reuses its
	// pid ("pid starttime bootid"); empty when unknown.
	Process string
	// Addr is where a server listens, for those it turns away.
	Addr    string
	Started time.Time
	// Expires is the end of the lease, pushed forward by each renewal.
	Expires time.Time
}

// SessionTx is the part of a transaction that keeps sessions.
//
// Concurrency: whether an engine may start, and which session owns what,
// is decided inside one write transaction (list, open, take over), and
// every write transaction of an engine first binds its session. A driver
// must therefore make BindSession and TakeOver exclude each other: SQLite
// serialises write transactions; a driver with concurrent writers must
// lock the session row (shared in BindSession, exclusive in TakeOver and
// CloseSession) until the transaction ends. Then a write of a session
// that is taken over either commits before the takeover (and the new
// owner sees it) or fails with ErrSessionLost.
type SessionTx interface {
	// OpenSession records a new session; ErrExists if its ID is taken.
	OpenSession(ctx context.Context, s Session) error
	// ListSessions returns every recorded session, oldest first, live or
	// with an expired lease.
	ListSessions(ctx context.Context) ([]Session, error)
	// RenewSession moves session id's lease to expires, even if it had
	// expired meanwhile; ErrSessionLost if the session is no longer
	// recorded (closed or taken over).
	RenewSession(ctx context.Context, id string, expires time.Time) error
	// CloseSession removes session id at a clean exit; what it owned keeps
	// naming it until another session takes it over. An unknown id is
	// not an error.
	CloseSession(ctx context.Context, id string) error
	// TakeOver removes the sessions old (their leases expired, or their
	// process is known dead), each only if its lease has not been renewed
	// since the caller read it (its stored end is not after old[i].Expires:
	// an engine that renewed meanwhile keeps its session and what it
	// owns), and gives session to the unfinished
	// workflows (phase empty, Pending or Running) and the lock holds of
	// the sessions it removed and of every session no longer recorded,
	// including those written before sessions existed. It returns the
	// UIDs of the workflows that changed owner. When several handles take
	// over the same old session at once, exactly one moves its workflows;
	// the others move none of them (a session already removed is not an
	// error).
	TakeOver(ctx context.Context, to string, old []Session) ([]string, error)
	// BindSession makes the transaction act for session id: it fails
	// with ErrSessionLost if id is not recorded, and stamps the
	// workflows the transaction creates and the holds it writes with id.
	// Engines bind every write transaction, so one that was taken over
	// cannot write again.
	BindSession(ctx context.Context, id string) error
}

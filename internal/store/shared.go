package store

import (
	"context"
	"errors"
)

// ErrUnavailable means the database could not be reached (a lost
// connection, a server restarting): nothing of the failed call was
// committed, and the call may be retried once the database is back.
var ErrUnavailable = errors.New("the database is unavailable")

// Shared is implemented by drivers whose database several engines (nodes)
// use at once: PostgreSQL. An engine on a Shared store lets other nodes'
// sessions be live beside its own, and hears their changes through
// Listen; a store that is not Shared has one live engine at a time.
type Shared interface {
	// Listen delivers notices of changes that transactions commit, this
	// handle's included, until ctx ends, then closes the channel. It
	// returns once it listens: every change committed after it returned
	// is heard (or covered by a resync). Notices
	// of one transaction arrive after it committed and never for one that
	// rolled back; identical notices of one transaction may arrive once.
	// When the listening connection was lost and notices may have been
	// missed, Listen reconnects and sends a Notice with Topic
	// TopicResync: the listener re-reads what it watches.
	Listen(ctx context.Context) (<-chan Notice, error)
}

// Notice topics, and what Key holds for each.
const (
	// TopicHold: a hold was written (a grant); Key is the holder key.
	TopicHold = "hold"
	// TopicWorkflow: a workflow was created, changed or deleted; Key is
	// its UID.
	TopicWorkflow = "workflow"
	// TopicObject: an object was stored or deleted; Key is its
	// ObjectKey.String().
	TopicObject = "object"
	// TopicResync: notices may have been lost; Key is empty.
	TopicResync = "resync"
)

// Notice is one change committed to a Shared store. Drivers send them
// from the writes themselves (PutHold, CreateWorkflow, PutWorkflow,
// PutStatus, PutNodes, DeleteNodes, DeleteWorkflow, PutObject,
// DeleteObject), in the writing transaction, so callers never forget one.
type Notice struct {
	Topic string
	Key   string
	// From is the session the writing transaction was bound to ("" if
	// none), so an engine can skip its own changes.
	From string
}

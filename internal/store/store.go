// Package store defines the persistence interface every driver implements
// (SQLite now, PostgreSQL later) and the sentinel errors callers test.
// Drivers live in sub-packages; storetest is the conformance suite they
// must all pass.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"syscall"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrBadContinue means a list's continue token was not one the store
	// made: the caller's mistake, not the store's.
	ErrBadContinue = errors.New("invalid continue token")
	// ErrNoSpace means a write failed for lack of room (a full disk or an
	// exhausted quota); drivers wrap it, naming what they could not write.
	// It passes once space is freed: callers retry, the API answers 507.
	ErrNoSpace = errors.New("the disk is full")
	// ErrBusy means another process held the database's write lock for
	// longer than the driver waits: an engine stopped mid-write (SIGSTOP,
	// a debugger) or stuck. It passes when that process goes on or dies.
	ErrBusy = errors.New("the database is locked by another process")
)

// NoSpace says whether err is a write refused for lack of room: a store's
// ErrNoSpace, or a file write's ENOSPC or EDQUOT.
func NoSpace(err error) bool {
	return errors.Is(err, ErrNoSpace) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// Reserver is a store that keeps room on its disk for the writes that
// let work end (a step's result, a terminate, a delete): when the disk
// fills, ReleaseReserve gives that room back once, saying how much; the
// store takes it again once the disk has room. New work must never call
// it: a submit on a full disk is refused (507), not let in.
type Reserver interface {
	ReleaseReserve() (freed int64, where string)
	// ReserveDir is the directory that holds the reserve: it frees room
	// only on that directory's filesystem.
	ReserveDir() string
}

// Store opens transactions. fn's error rolls the transaction back and is
// returned; a nil error commits.
//
// Concurrency contract. Several handles may be open on one database at
// once (two engine processes on one SQLite file, several nodes on one
// PostgreSQL database), each used by many goroutines, and the store, not
// any process's memory, is the authority on who holds what. A driver
// guarantees:
//   - Update is atomic: all of fn's writes commit or none do; fn's error,
//     a failed commit or a cancelled ctx leaves the store as it was.
//   - Changes of lock state are serialised across every handle: from the
//     moment a transaction calls LockTx.ClaimLocks until it ends, no other
//     transaction claims or changes lock state; one that tries waits for
//     it (up to ctx or the driver's busy timeout) rather than going ahead
//     or failing at once. A driver either serialises write transactions
//     whole (SQLite: the write lock is taken at BEGIN, as BEGIN IMMEDIATE
//     does, so whatever fn read before its claim is current too) or holds
//     a row lock on the generation row from ClaimLocks to commit
//     (PostgreSQL: ClaimLocks is an UPDATE of that row). Row locks on
//     single locks are not enough: one waiter takes several locks at
//     once and a manager's index spans them all, so every claim takes
//     the one generation row.
//   - Every read after ClaimLocks sees the lock state that the previous
//     claimant committed (on PostgreSQL, READ COMMITTED, where each
//     statement reads the latest commits; a REPEATABLE READ snapshot
//     would predate the claim).
//   - View never changes anything.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is one transaction's view of the store. Every method takes the
// context of the call it serves; the transaction itself ends with the
// context given to Update or View.
type Tx interface {
	// CreateWorkflow stores a new workflow (with its nodes); ErrExists
	// when its namespace/name or UID is taken.
	CreateWorkflow(ctx context.Context, wf *wfv1.Workflow) error
	// PutWorkflow replaces a workflow's spec, metadata and status apart
	// from its nodes, which PutNodes writes one by one; ErrNotFound when
	// its UID is not stored.
	PutWorkflow(ctx context.Context, wf *wfv1.Workflow) error
	// PutStatus replaces only a workflow's status (apart from nodes): the
	// frequent write, kept small because the spec can be large;
	// ErrNotFound when its UID is not stored.
	PutStatus(ctx context.Context, wf *wfv1.Workflow) error
	// PutNodes writes nodes of workflow uid, replacing those with the same
	// ID and keeping the others.
	PutNodes(ctx context.Context, uid string, nodes []wfv1.NodeStatus) error
	// DeleteNodes removes nodes by ID (a retried workflow drops its
	// failed steps); unknown IDs are ignored.
	DeleteNodes(ctx context.Context, uid string, ids []string) error
	// GetWorkflow returns the workflow with all its nodes; ErrNotFound
	// when there is none.
	GetWorkflow(ctx context.Context, namespace, name string) (*wfv1.Workflow, error)
	GetWorkflowByUID(ctx context.Context, uid string) (*wfv1.Workflow, error)
	// ListWorkflows returns workflows without their nodes, newest first,
	// and the continue token of the next page ("" after the last).
	ListWorkflows(ctx context.Context, opts ListOptions) ([]*wfv1.Workflow, string, error)
	// ListWorkflowsRaw is ListWorkflows as JSON objects, for the API.
	ListWorkflowsRaw(ctx context.Context, opts ListOptions) ([]json.RawMessage, string, error)
	// DeleteWorkflow removes a workflow with its nodes, logs and events;
	// ErrNotFound when its UID is not stored.
	DeleteWorkflow(ctx context.Context, uid string) error

	// PutLog records where a node's log is kept, replacing an earlier
	// path; Logs lists a workflow's by node ID.
	PutLog(ctx context.Context, l NodeLog) error
	Logs(ctx context.Context, uid string) (map[string]string, error)

	// AppendEvents adds to workflows' histories; Events returns one
	// workflow's in the order appended.
	AppendEvents(ctx context.Context, events []Event) error
	Events(ctx context.Context, uid string) ([]Event, error)

	// PutObject stores an object, replacing the one with its key.
	PutObject(ctx context.Context, o Object) error
	// GetObject and DeleteObject fail with ErrNotFound when no object has
	// the key.
	GetObject(ctx context.Context, key ObjectKey) (*Object, error)
	// ListObjects lists objects of a kind by namespace and name.
	ListObjects(ctx context.Context, opts ObjectListOptions) ([]Object, error)
	DeleteObject(ctx context.Context, key ObjectKey) error
	// LockObject serialises read-modify-writes of one object (which need
	// not exist yet): until this transaction ends, another transaction's
	// LockObject of the same key waits. Read the object after it. A
	// transaction that locks several objects locks them in key order.
	LockObject(ctx context.Context, key ObjectKey) error

	ArchiveTx
	LockTx
	SessionTx
}

// ListOptions filter and page ListWorkflows. Continue is the token a
// previous page returned.
type ListOptions struct {
	Namespace string
	Phases    []string
	Limit     int
	Continue  string
	// Session, when set, keeps only the workflows that session owns.
	Session string
	// Match, when set, keeps only the workflows it accepts (label and
	// field selectors); paging counts only kept workflows. It is given
	// only metadata and status.phase, so rejected rows stay cheap.
	Match func(*wfv1.Workflow) bool
	// Status, when set, may rewrite a kept workflow's stored status (JSON)
	// before ListWorkflowsRaw returns it: the engine puts live values,
	// such as queue positions, in place of those stored.
	Status func(namespace, name string, status []byte) []byte
}

// Event is one entry of a workflow's history.
type Event struct {
	WorkflowUID string
	NodeID      string
	At          time.Time
	Type        string
	Message     string
}

// NodeLog says where one node's log is kept.
type NodeLog struct {
	WorkflowUID string
	NodeID      string
	Path        string
}

// Object is a stored manifest that is not a Workflow: a ConfigMap, a
// (Cluster)WorkflowTemplate or a CronWorkflow, kept as JSON.
type Object struct {
	Kind      string
	Namespace string
	Name      string
	Doc       []byte
	UpdatedAt time.Time
}

// Key is what names o in the store.
func (o *Object) Key() ObjectKey {
	return ObjectKey{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// ObjectKey names one stored object.
type ObjectKey struct {
	Kind      string
	Namespace string
	Name      string
}

// String is the key as errors name it: "ConfigMap default/limits".
func (k ObjectKey) String() string {
	return k.Kind + " " + k.Namespace + "/" + k.Name
}

// ObjectListOptions select the objects ListObjects returns.
type ObjectListOptions struct {
	Kind string
	// Namespace, when set, keeps only that namespace's objects.
	Namespace string
}

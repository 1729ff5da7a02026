package store

import (
	"context"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// ArchiveTx keeps the workflow archive: a copy of each workflow taken
// when it ended, kept after the live workflow is deleted (by a user or
// its ttlStrategy), as Argo's workflow archive does. Entries are keyed
// by the workflow's UID; the archive shares no rows with the live
// tables, so deleting one never touches the other.
type ArchiveTx interface {
	// ArchiveWorkflow stores wf (with its nodes) in the archive,
	// replacing the entry with its UID: a retried workflow that ends
	// again is archived again.
	ArchiveWorkflow(ctx context.Context, wf *wfv1.Workflow) error
	// GetArchivedWorkflow returns an archived workflow whole;
	// ErrNotFound when no entry has uid.
	GetArchivedWorkflow(ctx context.Context, uid string) (*wfv1.Workflow, error)
	// ListArchivedWorkflows returns archived workflows without their
	// nodes, newest first, and the continue token of the next page (""
	// after the last).
	ListArchivedWorkflows(ctx context.Context, opts ArchiveListOptions) ([]*wfv1.Workflow, string, error)
	// DeleteArchivedWorkflow removes an entry; ErrNotFound when no entry
	// has uid.
	DeleteArchivedWorkflow(ctx context.Context, uid string) error
	// DeleteArchivedBefore removes at most limit entries of workflows
	// that finished before t, oldest first, and says how many it removed.
	DeleteArchivedBefore(ctx context.Context, t time.Time, limit int) (int, error)
	// ArchivedLabelKeys lists the label keys of archived workflows in
	// namespaces ("" or none: every namespace), sorted, each once.
	ArchivedLabelKeys(ctx context.Context, namespaces []string) ([]string, error)
	// ArchivedLabelValues lists the values label key takes on archived
	// workflows in namespaces (none: every namespace), sorted, each once.
	ArchivedLabelValues(ctx context.Context, key string, namespaces []string) ([]string, error)
}

// ArchiveListOptions filter and page ListArchivedWorkflows.
type ArchiveListOptions struct {
	// Namespaces, when set, keeps only these namespaces' workflows.
	Namespaces []string
	// NotNamespace, when set, drops that namespace's workflows.
	NotNamespace string
	// NamePrefix, when set, keeps the names that start with it.
	NamePrefix string
	Limit      int
	Continue   string
	// Match, when set, keeps only the workflows it accepts (label and
	// name selectors); paging counts only kept workflows. It is given the
	// workflow without its nodes.
	Match func(*wfv1.Workflow) bool
}

package wfdoc

import (
	"encoding/json"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// Keep takes one listed row and says whether it was kept: a driver's list
// query hands it each row, and paging counts kept rows only.
type Keep func(namespace, name string, doc, status []byte) (bool, error)

// Decoded keeps the rows opts.Match accepts, decoded, in *out: what
// store.Tx.ListWorkflows returns.
func Decoded(opts store.ListOptions, out *[]*wfv1.Workflow) Keep {
	return func(_, _ string, doc, status []byte) (bool, error) {
		if opts.Match != nil {
			// Selectors read only metadata and phase: rows they reject are
			// not decoded in full.
			head, err := DecodeHead(doc, status)
			if err != nil || !opts.Match(head) {
				return false, err
			}
		}
		wf, err := Decode(doc, status)
		if err != nil {
			return false, err
		}
		*out = append(*out, wf)
		return true, nil
	}
}

// Raw keeps the rows opts.Match accepts as JSON in *out, their status
// rewritten by opts.Status, without decoding the specs: what
// store.Tx.ListWorkflowsRaw returns (listing thousands of workflows is
// then mostly a copy).
func Raw(opts store.ListOptions, out *[]json.RawMessage) Keep {
	return func(namespace, name string, doc, status []byte) (bool, error) {
		if opts.Match != nil {
			wf, err := DecodeHead(doc, status)
			if err != nil || !opts.Match(wf) {
				return false, err
			}
		}
		if opts.Status != nil && len(status) > 0 {
			status = opts.Status(namespace, name, status)
		}
		raw, err := Splice(doc, status)
		if err != nil {
			return false, err
		}
		*out = append(*out, raw)
		return true, nil
	}
}

// Package wfdoc is how every store driver lays a workflow out in its
// rows, so that drivers agree byte for byte: the document without its
// status, the status without its nodes, and the continue tokens of lists.
package wfdoc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// Split splits a workflow into its stored parts: the document with an
// empty status, and the status without its nodes (they have rows of
// their own). The document thus ends in emptyStatus, where a list
// splices the status back in without decoding either.
func Split(wf *wfv1.Workflow) (doc, status []byte, err error) {
	c := *wf
	c.Status = wfv1.WorkflowStatus{}
	if doc, err = json.Marshal(&c); err != nil {
		return nil, nil, err
	}
	status, err = Status(wf)
	return doc, status, err
}

// Status is the stored status: the workflow's without its nodes.
func Status(wf *wfv1.Workflow) ([]byte, error) {
	st := wf.Status
	st.Nodes = nil
	return json.Marshal(&st)
}

// emptyStatus ends every document Split writes: status is the last field
// of a Workflow.
const emptyStatus = `,"status":{}}`

// Created is the creation time rows are ordered by, in unix ns.
func Created(wf *wfv1.Workflow) int64 {
	if wf.Metadata.CreationTimestamp != nil {
		return wf.Metadata.CreationTimestamp.UnixNano()
	}
	return 0
}

// Decode reads a row's document and, when set, its newer status.
func Decode(doc, status []byte) (*wfv1.Workflow, error) {
	var wf wfv1.Workflow
	if err := json.Unmarshal(doc, &wf); err != nil {
		return nil, err
	}
	if len(status) > 0 {
		wf.Status = wfv1.WorkflowStatus{}
		if err := json.Unmarshal(status, &wf.Status); err != nil {
			return nil, err
		}
	}
	return &wf, nil
}

// DecodeHead decodes only what selectors read: metadata and phase.
func DecodeHead(doc, status []byte) (*wfv1.Workflow, error) {
	var head struct {
		Metadata wfv1.ObjectMeta `json:"metadata"`
		Status   struct {
			Phase string `json:"phase"`
		} `json:"status"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		return nil, err
	}
	if len(status) > 0 {
		head.Status.Phase = ""
		if err := json.Unmarshal(status, &head.Status); err != nil {
			return nil, err
		}
	}
	return &wfv1.Workflow{Metadata: head.Metadata, Status: wfv1.WorkflowStatus{Phase: head.Status.Phase}}, nil
}

// Splice puts the newer status into the stored document: by
// concatenation when the document ends in an empty status, as every one
// Split wrote does, else by decoding (documents written before the status
// had its own column). doc must be the caller's own copy.
func Splice(doc, status []byte) (json.RawMessage, error) {
	if len(status) == 0 {
		return doc, nil
	}
	if head, ok := bytes.CutSuffix(doc, []byte(emptyStatus)); ok {
		out := make([]byte, 0, len(head)+len(emptyStatus)+len(status))
		out = append(append(append(out, head...), `,"status":`...), status...)
		return append(out, '}'), nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(doc, &fields); err != nil {
		return nil, err
	}
	fields["status"] = status
	return json.Marshal(fields)
}

// EncodeContinue is the continue token of a list whose last row was
// created at (unix ns) with uid: lists page by (created, uid), newest
// first.
func EncodeContinue(at int64, uid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + "/" + uid))
}

// DecodeContinue reads a token EncodeContinue made; any other is
// store.ErrBadContinue.
func DecodeContinue(tok string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, "", fmt.Errorf("%w: %w", store.ErrBadContinue, err)
	}
	at, uid, ok := strings.Cut(string(b), "/")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		return 0, "", fmt.Errorf("%w %q", store.ErrBadContinue, tok)
	}
	return n, uid, nil
}

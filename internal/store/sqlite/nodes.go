package sqlite

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
)

// linksApart is the size (about, in bytes of JSON) from which a node's
// children and outbound nodes are kept in node_links rather than in its
// row: a DAG of 1,000 tasks has a parent of ~25 KB that every step's
// commit rewrote, with its overflow pages, only for a new phase or
// progress.
const linksApart = 1024

// linksSize is about the JSON size of n's children and outbound nodes.
func linksSize(n *wfv1.NodeStatus) int {
	size := 0
	for _, id := range n.Children {
		size += len(id) + 3
	}
	for _, id := range n.OutboundNodes {
		size += len(id) + 3
	}
	return size
}

func (t *txn) PutNodes(ctx context.Context, uid string, nodes []wfv1.NodeStatus) error {
	for i := range nodes {
		n := &nodes[i]
		row, apart := n, 0
		if linksSize(n) >= linksApart {
			c := *n
			c.Children, c.OutboundNodes = nil, nil
			row, apart = &c, 1
		}
		doc, err := json.Marshal(row)
		if err != nil {
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
		if _, err := t.exec(ctx, sqlPutNode, uid, n.ID, n.Phase, doc, apart); err != nil {
			return err
		}
		if apart == 1 {
			if _, err := t.exec(ctx, sqlPutLinks, uid, n.ID, encodeLinks(n.Children, n.OutboundNodes)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *txn) DeleteNodes(ctx context.Context, uid string, ids []string) error {
	for _, id := range ids {
		if _, err := t.exec(ctx, sqlDeleteNode, uid, id); err != nil {
			return err
		}
		if _, err := t.exec(ctx, sqlDeleteLinks, uid, id); err != nil {
			return err
		}
	}
	return nil
}

// readNodes adds wf's stored nodes to it, each with its links.
func (t *txn) readNodes(ctx context.Context, wf *wfv1.Workflow) error {
	rows, err := t.query(ctx, sqlNodesOf, wf.Metadata.UID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var doc, links []byte
		if err := rows.Scan(&doc, &links); err != nil {
			return err
		}
		var n wfv1.NodeStatus
		if err := json.Unmarshal(doc, &n); err != nil {
			return fmt.Errorf("workflow %s: stored node: %w", wf.Metadata.UID, err)
		}
		if links != nil {
			if n.Children, n.OutboundNodes, err = decodeLinks(links); err != nil {
				return fmt.Errorf("workflow %s: stored links of node %s: %w", wf.Metadata.UID, n.ID, err)
			}
		}
		if wf.Status.Nodes == nil {
			wf.Status.Nodes = map[string]wfv1.NodeStatus{}
		}
		wf.Status.Nodes[n.ID] = n
	}
	return rows.Err()
}

// encodeLinks is a node_links row's links: for the children, then the
// outbound nodes, the count and each ID with its length before it, as
// uvarints. Not JSON: it is written at every commit of the node, where
// encoding/json's escaping of 1,000 IDs cost more than the write saved.
func encodeLinks(children, outbound []string) []byte {
	b := make([]byte, 0, linksSize(&wfv1.NodeStatus{Children: children, OutboundNodes: outbound})+4)
	for _, list := range [2][]string{children, outbound} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, id := range list {
			b = binary.AppendUvarint(b, uint64(len(id)))
			b = append(b, id...)
		}
	}
	return b
}

// decodeLinks reads what encodeLinks wrote; an empty list is nil.
func decodeLinks(b []byte) (children, outbound []string, err error) {
	var lists [2][]string
	for i := range lists {
		n, k := binary.Uvarint(b)
		// Every ID takes one byte at least: a count above what is left
		// is damage, not a reason to allocate.
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, nil, errors.New("damaged list count")
		}
		b = b[k:]
		if n > 0 {
			lists[i] = make([]string, 0, n)
		}
		for range n {
			size, k := binary.Uvarint(b)
			if k <= 0 || size > uint64(len(b)-k) {
				return nil, nil, errors.New("damaged node ID")
			}
			lists[i] = append(lists[i], string(b[k:k+int(size)]))
			b = b[k+int(size):]
		}
	}
	if len(b) != 0 {
		return nil, nil, fmt.Errorf("%d bytes after the lists", len(b))
	}
	return lists[0], lists[1], nil
}

package wfdoc

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Archived is how drivers lay out an archive entry: the workflow without
// its nodes (what a list decodes) and the nodes apart (only a get reads
// them), with the columns the archive is filtered and ordered by.
type Archived struct {
	UID, Namespace, Name, Phase string
	Created, Finished           int64 // unix ns
	Doc, Nodes                  []byte
	Labels                      map[string]string
}

// Archive lays wf out as an archive entry.
func Archive(wf *wfv1.Workflow) (*Archived, error) {
	c := *wf
	c.Status.Nodes = nil
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("archiving workflow %s/%s: %w", wf.Metadata.Namespace, wf.Metadata.Name, err)
	}
	nodes, err := json.Marshal(wf.Status.Nodes)
	if err != nil {
		return nil, fmt.Errorf("archiving the nodes of workflow %s/%s: %w", wf.Metadata.Namespace, wf.Metadata.Name, err)
	}
	a := &Archived{UID: wf.Metadata.UID, Namespace: wf.Metadata.Namespace, Name: wf.Metadata.Name,
		Phase: wf.Status.Phase, Created: Created(wf), Doc: doc, Nodes: nodes, Labels: wf.Metadata.Labels}
	// Retention counts from the end; a workflow with no recorded end
	// counts from its creation.
	a.Finished = a.Created
	if f := wf.Status.FinishedAt; f != nil {
		a.Finished = f.UnixNano()
	}
	return a, nil
}

// DecodeArchived reads an archive entry's document and, when given, its
// nodes.
func DecodeArchived(doc, nodes []byte) (*wfv1.Workflow, error) {
	var wf wfv1.Workflow
	if err := json.Unmarshal(doc, &wf); err != nil {
		return nil, err
	}
	if len(nodes) > 0 && string(nodes) != "null" {
		if err := json.Unmarshal(nodes, &wf.Status.Nodes); err != nil {
			return nil, err
		}
	}
	return &wf, nil
}

// LabelKeys are labels' keys in order, so drivers write label rows in the
// same order.
func LabelKeys(labels map[string]string) []string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package spec

import "github.com/semaflow/semaflow/api/wfv1"

// checkEmptyItems warns of `withItems: []`: Argo expands a call only when
// withItems is not empty (ShouldExpand), so the call is no loop and runs
// once, which semaflow does too; whoever wrote it likely meant zero runs.
func (c *wfCtx) checkEmptyItems(items []wfv1.Item, path string) {
	if items == nil || len(items) > 0 {
		return
	}
	c.doc.warnAt(path+".withItems", "empty: this is no loop, and the call runs once (as in Argo), not zero times; "+
		"remove withItems to say so, or remove the call")
}

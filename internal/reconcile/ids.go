package reconcile

import (
	"fmt"
	"hash/fnv"
)

// NodeID is Argo's node ID for a node name: the workflow name for the root,
// else the workflow name and the FNV-32a hash of the node name.
func NodeID(workflow, nodeName string) string {
	if nodeName == workflow {
		return workflow
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(nodeName))
	return fmt.Sprintf("%s-%d", workflow, h.Sum32())
}

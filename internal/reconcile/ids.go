package reconcile

import "strconv"

// NodeID is Argo's node ID for a node name: the workflow name for the root,
// else the workflow name and the FNV-1a (32 bit) hash of the node name.
func NodeID(workflow, nodeName string) string {
	if nodeName == workflow {
		return workflow
	}
	// FNV-1a inline: hash/fnv allocates, and IDs are computed on every
	// lookup of every walk.
	h := uint32(2166136261)
	for i := 0; i < len(nodeName); i++ {
		h ^= uint32(nodeName[i])
		h *= 16777619
	}
	return workflow + "-" + strconv.FormatUint(uint64(h), 10)
}

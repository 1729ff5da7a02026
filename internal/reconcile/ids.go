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

// altNodeID is the ID of a node whose name's 32-bit hash is already taken
// by another node's name: with tens of thousands of loop items such a
// collision is likely (about 5% at 20,000), and sharing an ID would
// silently drop one of the two. 64-bit FNV-1a makes a second collision
// negligible.
func altNodeID(workflow, nodeName string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(nodeName); i++ {
		h ^= uint64(nodeName[i])
		h *= 1099511628211
	}
	return workflow + "-x" + strconv.FormatUint(h, 16)
}

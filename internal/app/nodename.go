package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/semaflow/semaflow/internal/spec"
)

// maxNodeName is the longest node name: a DNS-1123 label, as Kubernetes
// node and namespace names, so it fits a metric label, a URL segment and
// a column without quoting.
const maxNodeName = spec.MaxNamespaceLength

// CheckNodeName says why name cannot name a node (a DNS-1123 label of at
// most 63 bytes), or returns nil.
func CheckNodeName(name string) error {
	return spec.ValidNamespace(name)
}

// NodeName is the node name an engine records in its session: name once
// checked, or, when empty, one made from this host's name.
func NodeName(name string) (string, error) {
	if name == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "unknown"
		}
		return hostNodeName(host), nil
	}
	if err := CheckNodeName(name); err != nil {
		return "", fmt.Errorf("node name: %w", err)
	}
	return name, nil
}

// hostNodeName makes a valid node name of a host name: lower case, every
// run of other characters (the dots of "name.local") one '-'. A name cut
// to 63 bytes ends in a hash of the whole host name, so that hosts whose
// long names differ only at their end do not share a node name (a
// restarted node follows the steps of its namesake).
func hostNodeName(host string) string {
	if CheckNodeName(host) == nil {
		return host
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(host) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	n := strings.Trim(b.String(), "-")
	if len(n) > maxNodeName {
		sum := sha256.Sum256([]byte(host))
		n = strings.TrimRight(n[:maxNodeName-9], "-") + "-" + hex.EncodeToString(sum[:4])
	}
	if n == "" {
		return "node"
	}
	return n
}

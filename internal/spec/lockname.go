package spec

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// maxLockName bounds a lock name or key, as Kubernetes bounds object names.
const maxLockName = 253

var configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// CheckLockName checks one (substituted) name of a synchronization block,
// field being its path within the block (SyncStrings' Field). A lock key
// is namespace/kind/name[/key]: a '/' in a name would make it another
// namespace's key ("../team-b/Mutex/m"), so names are checked as Argo's
// sources are: a ConfigMap name is a DNS-1123 subdomain, its key a
// ConfigMap key, a namespace a DNS-1123 label; a mutex name or database
// key is free text without '/', ';', '=', control characters or spaces
// at its ends.
func CheckLockName(field, v string) error {
	switch {
	case strings.HasSuffix(field, ".namespace"):
		if v != "" && (len(v) > 63 || !dns1123Label.MatchString(v)) {
			return fmt.Errorf("namespace %q is not a valid namespace (lower-case letters, digits and '-', at most 63)", v)
		}
		return nil
	case v == "":
		return fmt.Errorf("the lock name is empty")
	case len(v) > maxLockName:
		return fmt.Errorf("the lock name is %d characters long, over %d", len(v), maxLockName)
	case strings.HasSuffix(field, ".configMapKeyRef.name"):
		if !dns1123Subdomain.MatchString(v) {
			return fmt.Errorf("ConfigMap name %q is not a valid ConfigMap name (lower-case letters, digits, '-' and '.'; must not contain '/')", v)
		}
	case strings.HasSuffix(field, ".configMapKeyRef.key"):
		if !configMapKey.MatchString(v) || v == "." || v == ".." {
			return fmt.Errorf("ConfigMap key %q is not a valid key (letters, digits, '-', '_' and '.'; must not contain '/')", v)
		}
	case strings.Contains(v, "/"):
		return fmt.Errorf("lock name %q must not contain '/'", v)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return fmt.Errorf("lock name %q must not contain control characters", v)
	case strings.ContainsAny(v, ";="):
		// A step reads its tokens as SEMAFLOW_LOCK_TOKENS=key=token;...:
		// "x=7;default" would pass there for lock x holding token 7.
		return fmt.Errorf("lock name %q must not contain ';' or '=': they separate the tokens a step is given", v)
	case strings.TrimSpace(v) != v:
		return fmt.Errorf("lock name %q must not begin or end with a space: it would read as another lock's", v)
	}
	return nil
}

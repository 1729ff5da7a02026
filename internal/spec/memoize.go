package spec

import (
	"regexp"
	"strconv"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// memoKeyRE is the key Argo's memoization caches accept (a ConfigMap key
// without '.' or '_'); reconcile refuses others at run time too.
var memoKeyRE = regexp.MustCompile(`^[a-zA-Z0-9][-a-zA-Z0-9]*$`)

// checkMemoize reports what would make a memoized node fail at run time:
// a key or cache missing, a key Argo refuses, a maxAge that is not a Go
// duration (Argo's reading: "60" without a unit is refused).
func checkMemoize(d *Document, path string, m *wfv1.Memoize) {
	if m == nil {
		return
	}
	path += ".memoize"
	switch {
	case m.Key == "":
		d.errorAt(path+".key", "memoize.key is required")
	case !isTemplated(m.Key) && !memoKeyRE.MatchString(m.Key):
		d.errorAt(path+".key", "memoize key %q is not one Argo's caches accept: letters, digits and '-', starting with a letter or digit", m.Key)
	}
	if m.Cache == nil || m.Cache.ConfigMap == nil || m.Cache.ConfigMap.Name == "" {
		d.errorAt(path+".cache", "memoize.cache.configMap.name is required")
	}
	if m.MaxAge == "" || isTemplated(m.MaxAge) {
		return
	}
	if _, err := strconv.ParseFloat(m.MaxAge, 64); err == nil {
		d.errorAt(path+".maxAge", "invalid memoize maxAge %q: Argo reads a duration with a unit, such as \"%ss\"", m.MaxAge, m.MaxAge)
		return
	}
	v, err := time.ParseDuration(m.MaxAge)
	switch {
	case err != nil:
		d.errorAt(path+".maxAge", "invalid memoize maxAge %q: use a duration such as \"180s\" or \"24h\"", m.MaxAge)
	case v < 0:
		d.errorAt(path+".maxAge", "memoize maxAge %q must not be negative", m.MaxAge)
	}
}

package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Limits bound what one workflow may expand to, so that a careless or
// hostile manifest (a loop of a million items, a template that calls
// itself twice) fails with a clear message instead of exhausting the
// engine. A zero field means its default.
type Limits struct {
	// MaxLoopItems caps the items of one withItems, withParam or
	// withSequence.
	MaxLoopItems int
	// MaxNodes caps the nodes of one workflow (steps, groups, retries).
	MaxNodes int
}

// DefaultLimits leave room for the 10,000-step workflows of BENCHMARKS.md
// (and a 20,000-item loop) while keeping one workflow's state to some
// 100 MB. Argo has no per-loop cap; its practical bound is the 1 MB etcd
// object, i.e. a few thousand nodes without node status offloading.
var DefaultLimits = Limits{MaxLoopItems: 20000, MaxNodes: 50000}

// OrDefault fills the unset fields from DefaultLimits.
func (l Limits) OrDefault() Limits {
	if l.MaxLoopItems <= 0 {
		l.MaxLoopItems = DefaultLimits.MaxLoopItems
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	return l
}

// LoopTooLarge is the message for a loop over the limit; lint and the
// engine say the same thing.
func LoopTooLarge(template, field string, items, limit int) string {
	return fmt.Sprintf("template %q: %s has %d items, over the limit of %d items per loop (max-loop-items)",
		template, field, items, limit)
}

// SequenceSize is the number of items a withSequence yields, when count or
// start/end are literal integers; ok is false when one is an expression.
func SequenceSize(s *wfv1.Sequence) (n int64, ok bool) {
	lit := func(v *wfv1.IntOrString) (int64, bool) {
		if v == nil {
			return 0, true
		}
		if !v.IsString {
			return v.IntVal, true
		}
		i, err := strconv.ParseInt(strings.TrimSpace(v.StrVal), 10, 64)
		return i, err == nil
	}
	start, ok1 := lit(s.Start)
	if s.Count != nil {
		c, ok2 := lit(s.Count)
		return max(c, 0), ok1 && ok2
	}
	end, ok2 := lit(s.End)
	if s.End == nil || !ok1 || !ok2 {
		return 0, false
	}
	if end < start {
		start, end = end, start
	}
	return end - start + 1, true
}

// checkLoopSize refuses a loop whose literal size is over the limit.
func (c *wfCtx) checkLoopSize(template string, items []wfv1.Item, seq *wfv1.Sequence, path string) {
	limit := c.set.Limits.OrDefault().MaxLoopItems
	if len(items) > limit {
		c.doc.errorAt(path+".withItems", "%s", LoopTooLarge(template, "withItems", len(items), limit))
	}
	if seq == nil {
		return
	}
	if n, ok := SequenceSize(seq); ok && n > int64(limit) {
		p := path + ".withSequence"
		if seq.Count != nil {
			p += ".count"
		}
		c.doc.errorAt(p, "%s", LoopTooLarge(template, "withSequence", int(min(n, 1<<62)), limit))
	}
}

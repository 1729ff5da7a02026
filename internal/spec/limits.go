package spec

import (
	"errors"
	"fmt"
	"math"
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
	// MaxNodeName caps the bytes of one node's name. Names grow with
	// depth (each level appends its step's name), so the node count
	// alone does not bound a workflow's size.
	MaxNodeName int
	// MaxNodeNameBytes caps the sum of a workflow's node names.
	MaxNodeNameBytes int
	// MaxOutputBytes caps the sum of the output parameters and results
	// a workflow's steps leave in its status: each is capped at 256 KiB,
	// but a loop of them is not.
	MaxOutputBytes int
}

// DefaultLimits leave room for the 10,000-step workflows of BENCHMARKS.md
// (and a 20,000-item loop) while keeping one workflow's state to some
// 100 MB. Argo has no per-loop cap; its practical bound is the 1 MB etcd
// object, i.e. a few thousand nodes without node status offloading.
//
// A node name of 2,048 bytes is some 30 levels of 60-character step
// names; Argo sets no cap on node names, but Kubernetes caps object names
// at 253, so real workflows stay far below. 16 MiB of names is 50,000
// nodes of 335 bytes each.
//
// 8 MiB of outputs is eight times what fits Argo's 1 MB etcd object; the
// status copies a retried or steps node's outputs onto its parent, so it
// keeps some 16-24 MiB at most, well under 64 MiB with the names.
var DefaultLimits = Limits{MaxLoopItems: 20000, MaxNodes: 50000, MaxNodeName: 2048, MaxNodeNameBytes: 16 << 20,
	MaxOutputBytes: 8 << 20}

// OrDefault fills the unset fields from DefaultLimits.
func (l Limits) OrDefault() Limits {
	if l.MaxLoopItems <= 0 {
		l.MaxLoopItems = DefaultLimits.MaxLoopItems
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	if l.MaxNodeName <= 0 {
		l.MaxNodeName = DefaultLimits.MaxNodeName
	}
	if l.MaxNodeNameBytes <= 0 {
		l.MaxNodeNameBytes = DefaultLimits.MaxNodeNameBytes
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = DefaultLimits.MaxOutputBytes
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
// start/end are literal integers; ok is false when one is an expression or
// unusable. A size past int64 saturates at its largest value.
func SequenceSize(s *wfv1.Sequence) (n int64, ok bool) {
	r, err := literalSequence(s, math.MaxInt)
	var big *SequenceTooLarge
	if errors.As(err, &big) {
		return big.Items, true
	}
	return r.Len, err == nil && r.Start != notLiteral
}

// notLiteral marks, in the Start of a range, a sequence that is not
// literal; no error, nothing to check at lint.
const notLiteral = math.MinInt64

// literalSequence resolves a withSequence whose fields are literal.
func literalSequence(s *wfv1.Sequence, limit int) (SequenceRange, error) {
	templated := false
	lit := func(field string, v *wfv1.IntOrString) (*int64, error) {
		if v == nil {
			return nil, nil
		}
		if !v.IsString {
			return &v.IntVal, nil
		}
		if strings.Contains(v.StrVal, "{{") {
			templated = true
			return new(int64), nil
		}
		n, err := ParseSequenceInt(field, v.StrVal)
		return &n, err
	}
	var start int64
	var count, end *int64
	var err error
	for _, f := range []struct {
		name string
		v    *wfv1.IntOrString
		to   **int64
	}{{"start", s.Start, nil}, {"count", s.Count, &count}, {"end", s.End, &end}} {
		p, e := lit(f.name, f.v)
		if e != nil && err == nil {
			err = e
		}
		if f.to == nil && p != nil {
			start = *p
		} else if f.to != nil {
			*f.to = p
		}
	}
	if err == nil && !strings.Contains(s.Format, "{{") {
		err = CheckSequenceFormat(s.Format)
	}
	if err != nil {
		return SequenceRange{}, err
	}
	if templated {
		return SequenceRange{Start: notLiteral}, nil
	}
	return ResolveSequence(start, count, end, limit)
}

// checkLoopSize refuses a loop whose literal size is over the limit, and a
// literal withSequence that cannot run.
func (c *wfCtx) checkLoopSize(template string, items []wfv1.Item, seq *wfv1.Sequence, path string) {
	limit := c.set.Limits.OrDefault().MaxLoopItems
	if len(items) > limit {
		c.doc.errorAt(path+".withItems", "%s", LoopTooLarge(template, "withItems", len(items), limit))
	}
	if seq == nil {
		return
	}
	p := path + ".withSequence"
	_, err := literalSequence(seq, limit)
	var big *SequenceTooLarge
	var bad *SequenceError
	switch {
	case errors.As(err, &big):
		if seq.Count != nil {
			p += ".count"
		}
		c.doc.errorAt(p, "%s", LoopTooLarge(template, "withSequence", int(big.Items), limit))
	case errors.As(err, &bad):
		if seq.Count != nil && seq.End != nil {
			return // checkLoops says so
		}
		c.doc.errorAt(p+"."+bad.Field, "template %q: %v", template, err)
	}
}

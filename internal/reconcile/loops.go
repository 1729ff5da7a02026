package reconcile

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/jsoncopy"
	"github.com/semaflow/semaflow/internal/spec"
)

// loopItem is one expansion of withItems / withParam / withSequence.
type loopItem struct {
	suffix string // "(0:hello)", appended to the node name
	value  any    // the item, as decoded from JSON, numbers as json.Number
	isItem bool   // false for the single pass of a call without a loop
}

// scope is item and item.KEY. It is built only for an item that runs:
// a walk passes over every item of a large loop each time.
func (it loopItem) scope() expr.Scope {
	sc := expr.Scope{"item": itemString(it.value)}
	if m, ok := it.value.(map[string]any); ok {
		for k, v := range m {
			sc["item."+k] = itemString(v)
		}
	}
	return sc
}

type loopSpec struct {
	items    []wfv1.Item
	param    string
	sequence *wfv1.Sequence
}

// isLoop is Argo's ShouldExpand: an empty withItems is no loop, and must
// not be, as the status's JSON drops it (omitempty) after the first walk.
func (l loopSpec) isLoop() bool { return len(l.items) > 0 || l.param != "" || l.sequence != nil }

// expand lists a loop's items. A loop of more than limit items is a
// *loopLimitError, found before its items are made.
func expand(l loopSpec, scope expr.Scope, limit int) ([]loopItem, error) {
	var raw []any
	switch {
	case len(l.items) > 0:
		if len(l.items) > limit {
			return nil, &loopLimitError{field: "withItems", items: int64(len(l.items)), limit: limit}
		}
		for _, it := range l.items {
			var v any
			if err := jsoncopy.UnmarshalNumbers(it.RawMessage, &v); err != nil {
				return nil, fmt.Errorf("withItems: %w", err)
			}
			raw = append(raw, v)
		}
	case l.param != "":
		if err := checkAbsent(l.param, scope); err != nil {
			return nil, err
		}
		s, err := expr.Replace(l.param, scope, true)
		if err != nil {
			return nil, fmt.Errorf("withParam: %w", err)
		}
		if err := jsoncopy.UnmarshalNumbers([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("withParam value could not be parsed as a JSON list%s: %s", cutRefs(l.param, scope), truncate(s, 200))
		}
		if len(raw) > limit {
			return nil, &loopLimitError{field: "withParam", items: int64(len(raw)), limit: limit}
		}
	case l.sequence != nil:
		seq, err := sequence(l.sequence, scope, limit)
		if err != nil {
			return nil, err
		}
		for _, s := range seq {
			raw = append(raw, s)
		}
	}
	out := make([]loopItem, 0, len(raw))
	for i, v := range raw {
		label := itemString(v)
		if m, ok := v.(map[string]any); ok {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, 0, len(keys))
			for _, k := range keys {
				parts = append(parts, k+":"+itemString(m[k]))
			}
			label = strings.Join(parts, ",")
		}
		out = append(out, loopItem{suffix: "(" + strconv.Itoa(i) + ":" + label + ")", value: v, isItem: true})
	}
	return out, nil
}

func itemString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String() // as written: Argo keeps an item's bytes
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// sequence expands a withSequence after substitution; its size comes from
// spec.ResolveSequence, shared with lint, which cannot wrap.
func sequence(s *wfv1.Sequence, scope expr.Scope, limit int) ([]string, error) {
	num := func(v *wfv1.IntOrString, name string) (*int64, error) {
		if v == nil {
			return nil, nil
		}
		r, err := expr.Replace(v.String(), scope, true)
		if err != nil {
			return nil, fmt.Errorf("withSequence.%s: %w", name, err)
		}
		n, err := spec.ParseSequenceInt(name, r)
		return &n, err
	}
	count, err := num(s.Count, "count")
	if err != nil {
		return nil, err
	}
	start, err := num(s.Start, "start")
	if err != nil {
		return nil, err
	}
	end, err := num(s.End, "end")
	if err != nil {
		return nil, err
	}
	if err := spec.CheckSequenceFormat(s.Format); err != nil {
		return nil, err
	}
	var from int64
	if start != nil {
		from = *start
	}
	r, err := spec.ResolveSequence(from, count, end, limit)
	var big *spec.SequenceTooLarge
	if errors.As(err, &big) {
		return nil, &loopLimitError{field: "withSequence", items: big.Items, limit: limit}
	}
	if err != nil {
		return nil, err
	}
	format := s.Format
	if format == "" {
		format = "%d"
	}
	out := make([]string, 0, r.Len)
	for i := range r.Len {
		out = append(out, fmt.Sprintf(format, r.Item(i)))
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func withItem(scope, item expr.Scope) expr.Scope {
	s := maps.Clone(scope)
	maps.Copy(s, item)
	return s
}

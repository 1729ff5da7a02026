package reconcile

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// loopItem is one expansion of withItems / withParam / withSequence.
type loopItem struct {
	suffix string     // "(0:hello)", appended to the node name
	scope  expr.Scope // item and item.KEY
}

type loopSpec struct {
	items    []wfv1.Item
	param    string
	sequence *wfv1.Sequence
}

func (l loopSpec) isLoop() bool { return l.items != nil || l.param != "" || l.sequence != nil }

// expand lists a loop's items; the bool is false when there is no loop.
func expand(l loopSpec, scope expr.Scope) ([]loopItem, error) {
	var raw []any
	switch {
	case l.items != nil:
		for _, it := range l.items {
			var v any
			if err := json.Unmarshal(it.RawMessage, &v); err != nil {
				return nil, fmt.Errorf("withItems: %w", err)
			}
			raw = append(raw, v)
		}
	case l.param != "":
		s, err := expr.Replace(l.param, scope, true)
		if err != nil {
			return nil, fmt.Errorf("withParam: %w", err)
		}
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("withParam value could not be parsed as a JSON list: %s", truncate(s, 200))
		}
	case l.sequence != nil:
		seq, err := sequence(l.sequence, scope)
		if err != nil {
			return nil, err
		}
		for _, s := range seq {
			raw = append(raw, s)
		}
	}
	out := make([]loopItem, 0, len(raw))
	for i, v := range raw {
		sc := expr.Scope{}
		str := itemString(v)
		sc["item"] = str
		label := str
		if m, ok := v.(map[string]any); ok {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, 0, len(keys))
			for _, k := range keys {
				sc["item."+k] = itemString(m[k])
				parts = append(parts, k+":"+itemString(m[k]))
			}
			label = strings.Join(parts, ",")
		}
		out = append(out, loopItem{suffix: fmt.Sprintf("(%d:%s)", i, label), scope: sc})
	}
	return out, nil
}

func itemString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sequence(s *wfv1.Sequence, scope expr.Scope) ([]string, error) {
	num := func(v *wfv1.IntOrString, name string) (int, bool, error) {
		if v == nil {
			return 0, false, nil
		}
		r, err := expr.Replace(v.String(), scope, true)
		if err != nil {
			return 0, false, fmt.Errorf("withSequence.%s: %w", name, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil {
			return 0, false, fmt.Errorf("withSequence.%s: %q is not an integer", name, r)
		}
		return n, true, nil
	}
	count, hasCount, err := num(s.Count, "count")
	if err != nil {
		return nil, err
	}
	start, _, err := num(s.Start, "start")
	if err != nil {
		return nil, err
	}
	end, hasEnd, err := num(s.End, "end")
	if err != nil {
		return nil, err
	}
	switch {
	case hasCount && hasEnd:
		return nil, fmt.Errorf("withSequence: count and end are mutually exclusive")
	case hasCount:
		end = start + count - 1
	case !hasEnd:
		return nil, fmt.Errorf("withSequence: one of count or end is required")
	}
	format := s.Format
	if format == "" {
		format = "%d"
	}
	var out []string
	step := 1
	if end < start {
		step = -1
	}
	if hasCount && count == 0 {
		return nil, nil
	}
	for i := start; ; i += step {
		out = append(out, fmt.Sprintf(format, i))
		if i == end || len(out) > 100000 {
			break
		}
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

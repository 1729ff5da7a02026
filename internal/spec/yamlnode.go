package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits that keep a hostile file from exhausting memory or the stack.
const (
	maxDepth    = 200
	maxExpanded = 1 << 20 // nodes visited, counting alias expansions
)

var errTooComplex = errors.New("document is too deeply nested or expands too many aliases")

// walkBudget bounds the work done on one document.
type walkBudget struct{ visited int }

func (b *walkBudget) spend(depth int) error {
	b.visited++
	if depth > maxDepth || b.visited > maxExpanded {
		return errTooComplex
	}
	return nil
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's key/value pairs with `<<` merge keys expanded;
// explicit keys win over merged ones, as YAML specifies.
func pairs(n *yaml.Node) []pair {
	n = resolve(n)
	var own, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.Tag != "!!str") {
			merged = append(merged, mergeSources(v)...)
			continue
		}
		own = append(own, pair{k, v})
	}
	if len(merged) == 0 {
		return own
	}
	seen := map[string]bool{}
	for _, p := range own {
		seen[p.key.Value] = true
	}
	for _, p := range merged {
		if !seen[p.key.Value] {
			seen[p.key.Value] = true
			own = append(own, p)
		}
	}
	return own
}

func mergeSources(v *yaml.Node) []pair {
	v = resolve(v)
	switch v.Kind {
	case yaml.MappingNode:
		var out []pair
		for i := 0; i+1 < len(v.Content); i += 2 {
			out = append(out, pair{v.Content[i], v.Content[i+1]})
		}
		return out
	case yaml.SequenceNode:
		var out []pair
		for _, m := range v.Content {
			if m = resolve(m); m.Kind == yaml.MappingNode {
				out = append(out, mergeSources(m)...)
			}
		}
		return out
	}
	return nil
}

// scalarKind names what a scalar holds, in the words a user would use.
func scalarKind(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!int":
		return "integer"
	case "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	case "!!str", "!!binary", "!!timestamp":
		return "string"
	}
	return "value"
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return scalarKind(n)
	}
	return "value"
}

// jsonWriter converts a YAML node into JSON text, the way Kubernetes' YAML
// loader does, so that the standard library can decode it into our types.
type jsonWriter struct {
	budget walkBudget
	// asString: scalars (as written, before aliases) to write as these
	// strings, found by the schema walk where a string is expected.
	asString map[*yaml.Node]string
	// asNull: nodes to write as null (they failed the schema check).
	asNull map[*yaml.Node]bool
	// limit, when not 0, bounds the JSON written, in bytes.
	limit int
}

var errJSONTooLarge = errors.New("it expands to more bytes than a request may hold")

func (w *jsonWriter) write(n *yaml.Node, buf *bytes.Buffer, depth int) error {
	if err := w.budget.spend(depth); err != nil {
		return err
	}
	if w.limit > 0 && buf.Len() > w.limit {
		return errJSONTooLarge
	}
	if s, ok := w.asString[n]; ok {
		writeString(buf, s)
		return nil
	}
	n = resolve(n)
	if n == nil || w.asNull[n] {
		buf.WriteString("null")
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return w.write(n.Content[0], buf, depth+1)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i, p := range pairs(n) {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, p.key.Value)
			buf.WriteByte(':')
			if err := w.write(p.value, buf, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := w.write(c, buf, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		writeScalar(buf, n)
	default:
		buf.WriteString("null")
	}
	return nil
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node) {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
		return
	case "!!bool":
		switch strings.ToLower(v) {
		case "true":
			buf.WriteString("true")
			return
		case "false":
			buf.WriteString("false")
			return
		}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 0, 64); err == nil {
			buf.WriteString(strconv.FormatInt(i, 10))
			return
		}
	case "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
	}
	writeString(buf, v)
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a Go string always marshals
	buf.Write(b)
}

package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds on reading a load description, so aliases cannot make a small
// file expand into a large one.
const (
	maxYAMLNodes = 1 << 20 // nodes visited, each use of an alias counted again
	maxYAMLDepth = 100
)

// decodeLoad reads a load description as YAML 1.2 into l, as strictly as
// a JSON decoder refusing unknown fields. YAML 1.1 (what sigs.k8s.io/yaml
// reads) takes y, n, yes, no, on and off for booleans, so a kind or a
// lock called n became "false"; here a name is its text as written,
// whatever it looks like.
func decodeLoad(data []byte, l *Load) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return err
	}
	var buf bytes.Buffer
	w := &jsonWriter{}
	if err := w.write(&root, &buf, 0, false); err != nil {
		return err
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	return dec.Decode(l)
}

// nameKeys are the fields whose scalars are names: written as text.
var nameKeys = map[string]bool{"kind": true, "policy": true}

type jsonWriter struct{ visited int }

// write writes n as JSON; name says n is a name (a kind, a lock).
func (w *jsonWriter) write(n *yaml.Node, buf *bytes.Buffer, depth int, name bool) error {
	w.visited++
	if w.visited > maxYAMLNodes {
		return fmt.Errorf("the YAML expands to more than %d values (each use of an alias counts again)", maxYAMLNodes)
	}
	if depth > maxYAMLDepth {
		return fmt.Errorf("line %d: the YAML nests more than %d deep", n.Line, maxYAMLDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return w.write(n.Content[0], buf, depth+1, false)
	case yaml.AliasNode:
		return w.write(n.Alias, buf, depth+1, name)
	case yaml.MappingNode:
		return w.mapping(n, buf, depth, name)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := w.write(c, buf, depth+1, name); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		writeScalar(buf, n, name)
		return nil
	}
	return fmt.Errorf("line %d: unexpected YAML", n.Line)
}

// mapping writes a mapping; lockLimits says it is the locks' limits,
// whose values are numbers whatever their keys.
func (w *jsonWriter) mapping(n *yaml.Node, buf *bytes.Buffer, depth int, lockLimits bool) error {
	pairs, err := mergedPairs(n, depth)
	if err != nil {
		return err
	}
	buf.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, p[0].Value)
		buf.WriteByte(':')
		// A lock list's items are names, and so is a kind.
		name := !lockLimits && (nameKeys[p[0].Value] || p[0].Value == "locks")
		if err := w.write(p[1], buf, depth+1, name); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// mergedPairs lists a mapping's key/value pairs, those of `<<` merge keys
// after its own unless it has them; a key given twice is an error.
func mergedPairs(n *yaml.Node, depth int) ([][2]*yaml.Node, error) {
	var own, merged [][2]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: a key must be a plain value", k.Line)
		}
		if k.Tag == "!!merge" {
			src, err := mergeSources(v, depth)
			if err != nil {
				return nil, err
			}
			merged = append(merged, src...)
			continue
		}
		if seen[k.Value] {
			return nil, fmt.Errorf("line %d: key %q given twice", k.Line, k.Value)
		}
		seen[k.Value] = true
		own = append(own, [2]*yaml.Node{k, v})
	}
	for _, p := range merged {
		if !seen[p[0].Value] {
			seen[p[0].Value] = true
			own = append(own, p)
		}
	}
	return own, nil
}

// mergeSources are the pairs a `<<` key merges: one mapping's or a list
// of mappings'.
func mergeSources(v *yaml.Node, depth int) ([][2]*yaml.Node, error) {
	for range maxYAMLDepth {
		if v.Kind != yaml.AliasNode {
			break
		}
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		return mergedPairs(v, depth+1)
	case yaml.SequenceNode:
		var out [][2]*yaml.Node
		for _, m := range v.Content {
			if m.Kind == yaml.AliasNode {
				m = m.Alias
			}
			if m.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("line %d: << merges mappings only", m.Line)
			}
			p, err := mergedPairs(m, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, p...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: << merges mappings only", v.Line)
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node, name bool) {
	v := n.Value
	tag := n.ShortTag()
	switch {
	case tag == "!!null":
		buf.WriteString("null")
		return
	case name:
	case tag == "!!bool":
		if b, err := strconv.ParseBool(strings.ToLower(v)); err == nil {
			buf.WriteString(strconv.FormatBool(b))
			return
		}
	case tag == "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 0, 64); err == nil {
			buf.WriteString(strconv.FormatInt(i, 10))
			return
		}
	case tag == "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
	}
	writeString(buf, v)
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	buf.Write(b)
}

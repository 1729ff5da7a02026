package spec

import (
	"bytes"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// YAMLToJSON converts one YAML document, a request body, to JSON with the
// bounds manifests get: nesting and alias expansion within the walk
// budget, the JSON at most maxBytes (an alias repeats its anchor's text:
// a small body must not become a huge one), and no key twice in a
// mapping (JSON decoding would keep the last one silently).
func YAMLToJSON(data []byte, maxBytes int) ([]byte, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("the YAML body: %w", err)
	}
	var next yaml.Node
	if dec.Decode(&next) == nil {
		return nil, errors.New("the YAML body holds more than one document")
	}
	if err := duplicateKeys(&root, 0); err != nil {
		return nil, err
	}
	w := &jsonWriter{limit: maxBytes}
	var buf bytes.Buffer
	if err := w.write(&root, &buf, 0); err != nil {
		return nil, fmt.Errorf("the YAML body: %w", err)
	}
	return buf.Bytes(), nil
}

// duplicateKeys names the first key a mapping holds twice. Aliases are
// not followed: their anchors are checked where they are written.
func duplicateKeys(n *yaml.Node, depth int) error {
	if n == nil || depth > maxDepth {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Tag == "!!merge" || k.Value == "<<" {
				continue
			}
			if seen[k.Value] {
				return fmt.Errorf("the YAML body: line %d: key %q appears twice in one mapping", k.Line, k.Value)
			}
			seen[k.Value] = true
		}
	}
	for _, c := range n.Content {
		if err := duplicateKeys(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

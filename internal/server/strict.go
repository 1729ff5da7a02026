package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkBody refuses what encoding/json would take silently: invalid UTF-8
// (replaced by U+FFFD) and duplicate object keys (the last one wins, so a
// reviewer and the server could read different manifests). A YAML body
// is checked for UTF-8 here, converted by spec.YAMLToJSON (which refuses
// a key given twice), and its JSON checked here again (readBody).
func checkBody(b []byte) error {
	if !utf8.Valid(b) {
		off := 0
		for off < len(b) {
			r, size := utf8.DecodeRune(b[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return fmt.Errorf("the request body is not valid UTF-8 (byte %d)", off)
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return nil
	}
	return checkJSONKeys(trimmed)
}

// MaxDepth is the deepest nesting of objects and arrays a JSON body may
// have. No Argo object comes near it; without it, each level costs the
// decoders on the request path memory and time (a 200 KB body of nested
// arrays once took 15 GB).
const MaxDepth = 512

// frame is one open JSON object or array while walking tokens. It holds
// its own path segment only: the full path is built for an error alone,
// so a deep body costs no more than its length.
type frame struct {
	object bool
	seg    string // how the parent reaches this value: a key or "[i]"
	inList bool   // seg is an index
	keys   map[string]bool
	key    string // the last key read, while its value is walked
	index  int
	want   bool // an object expects a key next
}

// checkJSONKeys walks the JSON tokens and names the first key that an
// object holds twice, with where it is, and refuses nesting deeper than
// MaxDepth. Syntax errors are left to the decoder that reads the body
// next.
func checkJSONKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error the decoder reports
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.want {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValue(stack)
				continue
			}
			key, _ := tok.(string)
			if top.keys[key] {
				where := pathOf(stack)
				if where == "" {
					where = "the top level"
				}
				return fmt.Errorf("duplicate key %s in %s of the request body", strconv.Quote(key), where)
			}
			top.keys[key] = true
			top.key, top.want = key, false
			continue
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{', '[':
				if len(stack) == MaxDepth {
					// The first levels say where; all 512 would bury it.
					return fmt.Errorf("the request body nests objects and arrays past the depth limit of %d (in %s...)", MaxDepth, pathOf(stack[:8]))
				}
				f := &frame{object: d == '{', seg: childSeg(top), inList: top != nil && !top.object, want: d == '{'}
				if f.object {
					f.keys = map[string]bool{}
				}
				stack = append(stack, f)
			case '}', ']':
				stack = stack[:len(stack)-1]
				markValue(stack)
			}
		default:
			markValue(stack)
		}
	}
}

// markValue records that the innermost container has read a value.
func markValue(stack []*frame) {
	if len(stack) == 0 {
		return
	}
	top := stack[len(stack)-1]
	if top.object {
		top.want = true
	} else {
		top.index++
	}
}

// childSeg is how a value about to be read inside top is reached.
func childSeg(top *frame) string {
	switch {
	case top == nil:
		return ""
	case top.object:
		return top.key
	default:
		return "[" + strconv.Itoa(top.index) + "]"
	}
}

// pathOf joins the segments of the open frames: spec.templates[0].name.
func pathOf(stack []*frame) string {
	var b strings.Builder
	for i, f := range stack {
		if i == 0 {
			continue // the body itself
		}
		if b.Len() > 0 && !f.inList {
			b.WriteByte('.')
		}
		b.WriteString(f.seg)
	}
	return b.String()
}

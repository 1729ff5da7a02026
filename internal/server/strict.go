package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// checkBody refuses what encoding/json would take silently: invalid UTF-8
// (replaced by U+FFFD) and duplicate object keys (the last one wins, so a
// reviewer and the server could read different manifests). YAML bodies
// are checked for UTF-8 here and for duplicate keys by spec.Parse.
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

// frame is one open JSON object or array while walking tokens.
type frame struct {
	object bool
	path   string
	keys   map[string]bool
	key    string // the last key read, while its value is walked
	index  int
	want   bool // an object expects a key next
}

// checkJSONKeys walks the JSON tokens and names the first key that an
// object holds twice, with where it is. Syntax errors are left to the
// decoder that reads the body next.
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
				where := top.path
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
				stack = append(stack, &frame{object: d == '{', path: childPath(top), keys: map[string]bool{}, want: d == '{'})
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

// childPath is the path of a value about to be read inside top.
func childPath(top *frame) string {
	switch {
	case top == nil:
		return ""
	case top.object && top.path == "":
		return top.key
	case top.object:
		return top.path + "." + top.key
	default:
		return top.path + "[" + strconv.Itoa(top.index) + "]"
	}
}

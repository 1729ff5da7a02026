package wfv1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// IntOrString is Kubernetes' int-or-string: `limit: 3` and `limit: "3"` are
// both accepted, and so is an expression such as `"{{inputs.parameters.n}}"`.
type IntOrString struct {
	IsString bool
	IntVal   int64
	StrVal   string
}

// Int returns an IntOrString holding n.
func Int(n int64) *IntOrString { return &IntOrString{IntVal: n} }

// UnmarshalJSON accepts a JSON number or string.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		v.IsString = true
		return json.Unmarshal(b, &v.StrVal)
	}
	v.IsString = false
	return json.Unmarshal(b, &v.IntVal)
}

// MarshalJSON writes the form the value was read in.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.IsString {
		return json.Marshal(v.StrVal)
	}
	return json.Marshal(v.IntVal)
}

// String renders the value as text.
func (v IntOrString) String() string {
	if v.IsString {
		return v.StrVal
	}
	return strconv.FormatInt(v.IntVal, 10)
}

// AnyString is Argo's parameter value: YAML authors write `value: 5` or
// `value: true` as often as `value: "5"`, and Argo keeps all of them as text.
type AnyString string

// UnmarshalJSON accepts a string, number or boolean and keeps its text.
func (s *AnyString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = AnyString(str)
		return nil
	}
	switch {
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
	default:
		return fmt.Errorf("expected a string, number or boolean, got %s", truncate(b))
	}
	*s = AnyString(b)
	return nil
}

// MarshalJSON always writes a JSON string.
func (s AnyString) MarshalJSON() ([]byte, error) { return json.Marshal(string(s)) }

// Ptr returns a pointer to s, for optional fields.
func (s AnyString) Ptr() *AnyString { return &s }

// Item is one element of withItems: any JSON value (string, number, bool,
// list or object).
type Item struct {
	json.RawMessage
}

// UnmarshalJSON keeps the raw value.
func (i *Item) UnmarshalJSON(b []byte) error {
	i.RawMessage = append(i.RawMessage[:0], b...)
	return nil
}

// MarshalJSON writes the raw value back.
func (i Item) MarshalJSON() ([]byte, error) {
	if len(i.RawMessage) == 0 {
		return []byte("null"), nil
	}
	return i.RawMessage, nil
}

// String renders the item as Argo substitutes {{item}}: strings without
// quotes, everything else as compact JSON.
func (i Item) String() string {
	var s string
	if err := json.Unmarshal(i.RawMessage, &s); err == nil {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, i.RawMessage); err != nil {
		return string(i.RawMessage)
	}
	return buf.String()
}

// Object is a Kubernetes-only setting kept verbatim and not interpreted.
type Object map[string]any

// Quantity is a Kubernetes resource quantity such as `100m`, `1Gi` or `2`.
type Quantity = AnyString

func truncate(b []byte) string {
	const maxLen = 40
	if len(b) > maxLen {
		return string(b[:maxLen]) + "..."
	}
	return string(b)
}

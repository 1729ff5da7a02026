package jsoncopy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// UnmarshalNumbers is json.Unmarshal, but a number it decodes into an
// interface (a generic tree, an item, a map[string]any object) is a
// json.Number holding the number's text. json.Marshal writes that text
// back unchanged, so a trip through the tree keeps integers past a
// float64's 53 bits and the sign of -0 as written, as Argo keeps an
// item's bytes.
func UnmarshalNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// json.Unmarshal refuses anything after the value but space.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("invalid character after top-level value")
		}
		return err
	}
	return nil
}

package jsoncopy

import (
	"encoding/json"
	"testing"
)

// UnmarshalNumbers accepts and refuses what json.Unmarshal does, and
// writes numbers back as they were written.
func TestUnmarshalNumbers(t *testing.T) {
	for _, in := range []string{`[9007199254740993, -0.0, 1E+2, {"k": 1.50}]`, " [1] \n", "[1] x", "[1][2]", "", "[1", "-"} {
		var got, want any
		gotErr, wantErr := UnmarshalNumbers([]byte(in), &got), json.Unmarshal([]byte(in), &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%q: error %v, json.Unmarshal's %v", in, gotErr, wantErr)
		}
	}
	var v any
	if err := UnmarshalNumbers([]byte(`[9007199254740993, -0.0, 1E+2, {"k": 1.50}]`), &v); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(v); string(b) != `[9007199254740993,-0.0,1E+2,{"k":1.50}]` {
		t.Errorf("round trip gives %s", b)
	}
}

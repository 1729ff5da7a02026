package cli

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

func TestTermOutEscapesControlsOnATerminal(t *testing.T) {
	const hostile = "\x1b]0;pwned\a title\r\n\u009b31m c1\tx\x7f\xff ok é\n"
	saved := isTerminal
	defer func() { isTerminal = saved }()

	isTerminal = func(io.Writer) bool { return true }
	var buf bytes.Buffer
	n, err := fmt.Fprint(termOut(&buf), hostile)
	if err != nil || n != len(hostile) {
		t.Fatalf("wrote %d of %d: %v", n, len(hostile), err)
	}
	want := `\x1b]0;pwned\a title\r` + "\n" + `\u009b31m c1` + "\t" + `x\x7f\xff ok é` + "\n"
	if buf.String() != want {
		t.Fatalf("on a terminal:\n got %q\nwant %q", buf.String(), want)
	}

	isTerminal = func(io.Writer) bool { return false }
	buf.Reset()
	fmt.Fprint(termOut(&buf), hostile)
	if buf.String() != hostile {
		t.Fatalf("into a pipe: %q, want the bytes as they are", buf.String())
	}
}

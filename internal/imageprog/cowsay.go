package imageprog

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// cowWidth is where cowsay wraps a message, as its default -W 40.
const cowWidth = 40

const cow = `        \   ^__^
         \  (oo)\_______
            (__)\       )\/\
                ||----w |
                ||     ||
`

// Cowsay prints args (or, with none, stdin) in a speech balloon above a
// cow, as cowsay does with its defaults: words wrapped at 40 columns,
// `< >` around one line and `/ | \` around several.
func Cowsay(args []string, stdin io.Reader, stdout io.Writer) int {
	var text string
	if len(args) > 0 {
		text = strings.Join(args, " ")
	} else {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return 1
		}
		text = strings.TrimRight(string(b), "\n")
	}
	lines := wrap(text, cowWidth)
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l))
	}
	var b strings.Builder
	b.WriteString(" " + strings.Repeat("_", width+2) + "\n")
	for i, l := range lines {
		left, right := "|", "|"
		switch {
		case len(lines) == 1:
			left, right = "<", ">"
		case i == 0:
			left, right = "/", "\\"
		case i == len(lines)-1:
			left, right = "\\", "/"
		}
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(l))
		b.WriteString(left + " " + l + pad + " " + right + "\n")
	}
	b.WriteString(" " + strings.Repeat("-", width+2) + "\n")
	b.WriteString(cow)
	if _, err := fmt.Fprint(stdout, b.String()); err != nil {
		return 1
	}
	return 0
}

// wrap breaks text into lines of at most width runes at spaces; a word
// longer than width is cut. Tabs count as one column, as cowsay expands
// them only with -n.
func wrap(text string, width int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		line := ""
		for _, w := range words {
			for utf8.RuneCountInString(w) > width {
				if line != "" {
					out = append(out, line)
					line = ""
				}
				r := []rune(w)
				out = append(out, string(r[:width]))
				w = string(r[width:])
			}
			switch {
			case line == "":
				line = w
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
				line += " " + w
			default:
				out = append(out, line)
				line = w
			}
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

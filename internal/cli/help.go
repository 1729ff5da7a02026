package cli

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"
)

// helpWidth is the width help text is wrapped to: the terminal's, so a
// long flag description or paragraph does not wrap at its edge in the
// middle of a word and land at column 0.
var helpWidth atomic.Int64

var helpOnce sync.Once

// wrapHelp makes root's help wrap flags and descriptions at width.
func wrapHelp(root *cobra.Command, width int) {
	helpWidth.Store(int64(min(max(width, 40), 120)))
	helpOnce.Do(func() {
		cobra.AddTemplateFunc("wrapFlags", func(f interface{ FlagUsagesWrapped(int) string }) string {
			return f.FlagUsagesWrapped(int(helpWidth.Load()) - 1)
		})
		cobra.AddTemplateFunc("reflow", func(s string) string { return reflow(s, int(helpWidth.Load())-1) })
	})
	usage := root.UsageTemplate()
	usage = strings.ReplaceAll(usage, ".LocalFlags.FlagUsages", "wrapFlags .LocalFlags")
	usage = strings.ReplaceAll(usage, ".InheritedFlags.FlagUsages", "wrapFlags .InheritedFlags")
	root.SetUsageTemplate(usage)
	root.SetHelpTemplate(strings.Replace(root.HelpTemplate(), "{{. | trimTrailingWhitespaces}}", "{{. | reflow | trimTrailingWhitespaces}}", 1))
}

// reflow rewraps each paragraph of s (paragraphs are separated by a
// blank line) to width columns; a paragraph with an indented line is
// laid out by hand and kept.
func reflow(s string, width int) string {
	paras := strings.Split(s, "\n\n")
	for i, p := range paras {
		lines := strings.Split(p, "\n")
		laid := false
		for _, l := range lines {
			laid = laid || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "- ")
		}
		if laid {
			continue
		}
		var b strings.Builder
		col := 0
		for _, word := range strings.Fields(p) {
			n := len([]rune(word))
			switch {
			case col == 0:
			case col+1+n > width:
				b.WriteByte('\n')
				col = 0
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(word)
			col += n
		}
		paras[i] = b.String()
	}
	return strings.Join(paras, "\n\n")
}

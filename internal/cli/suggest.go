package cli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/semaflow/semaflow/internal/spec"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// suggestFlag adds the closest known flag to an unknown-flag error, as
// cobra does for commands.
func suggestFlag(cmd *cobra.Command, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return fmt.Errorf("%w\nSee '%s --help'", err, cmd.CommandPath())
	}
	// Scores in half edits: a flag one edit away (2) beats one the name
	// begins (3: --cont is --count mistyped more likely than
	// --control-priority cut short), which beats one two edits away (4).
	best, bestScore := "", 6
	consider := func(flag string, score int) {
		if score < bestScore || score == bestScore && flag < best {
			best, bestScore = flag, score
		}
	}
	visit := func(f *pflag.Flag) {
		consider(f.Name, 2*spec.EditDistance(name, f.Name))
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			consider(f.Name, 3)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if best == "" || best == name {
		return fmt.Errorf("%w\nSee '%s --help'", err, cmd.CommandPath())
	}
	return fmt.Errorf("%w\nDid you mean --%s?", err, best)
}

// negativeArgs is the annotation of a command whose arguments may be
// negative numbers (sync set LOCK -3): they are its to refuse, not flags.
const negativeArgs = "semaflow/negative-args"

var negativeNumber = regexp.MustCompile(`^-[0-9]+$`)

// numbersAsArgs moves the negative numbers of args after "--" when the
// command they run takes them as arguments, unless one is the value of
// the flag before it.
func numbersAsArgs(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.Annotations[negativeArgs] == "" {
		return args
	}
	var kept, moved []string
	for i, a := range args {
		if a == "--" {
			kept = append(kept, args[i:]...)
			break
		}
		if negativeNumber.MatchString(a) && (i == 0 || !takesValue(cmd, args[i-1])) {
			moved = append(moved, a)
			continue
		}
		kept = append(kept, a)
	}
	if len(moved) == 0 {
		return args
	}
	if !contains(kept, "--") {
		kept = append(kept, "--")
	}
	return append(kept, moved...)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// takesValue says whether arg is a flag of cmd that takes the next
// argument as its value.
func takesValue(cmd *cobra.Command, arg string) bool {
	if !strings.HasPrefix(arg, "-") || strings.Contains(arg, "=") {
		return false
	}
	var f *pflag.Flag
	if name, ok := strings.CutPrefix(arg, "--"); ok {
		f = cmd.Flags().Lookup(name)
		if f == nil {
			f = cmd.InheritedFlags().Lookup(name)
		}
	} else if len(arg) == 2 {
		f = cmd.Flags().ShorthandLookup(arg[1:])
		if f == nil {
			f = cmd.InheritedFlags().ShorthandLookup(arg[1:])
		}
	}
	return f != nil && f.NoOptDefVal == ""
}

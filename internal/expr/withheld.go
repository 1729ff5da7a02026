package expr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// withheldSprig are the sprig functions an expression does not get, and
// why. An expression runs inside the server, not in a step: the server's
// environment holds its secrets (Argo withholds env and expandenv for
// the same reason), a name lookup goes out from the server past any
// policy on steps, and a key or password hash costs up to a second of
// the server's CPU per call, which no memory bound stops in a loop.
var withheldSprig = map[string]string{
	"env":                      "would read the server's environment",
	"expandenv":                "would read the server's environment",
	"getHostByName":            "would look names up from the server",
	"genPrivateKey":            "would spend the server's CPU on a key",
	"genCA":                    "would spend the server's CPU on a key",
	"genCAWithKey":             "would spend the server's CPU on a certificate",
	"genSelfSignedCert":        "would spend the server's CPU on a key",
	"genSelfSignedCertWithKey": "would spend the server's CPU on a certificate",
	"genSignedCert":            "would spend the server's CPU on a key",
	"genSignedCertWithKey":     "would spend the server's CPU on a certificate",
	"derivePassword":           "would spend the server's CPU on a password hash",
	"bcrypt":                   "would spend the server's CPU on a password hash",
	"htpasswd":                 "would spend the server's CPU on a password hash",
}

func init() {
	for n := range withheldSprig {
		delete(sprigFuncs, n)
	}
}

// Withheld says which withheld sprig functions the expression code calls
// by name (nil: none, or code that does not parse, which Check reports).
func Withheld(code string) error {
	tree, err := parser.ParseWithConfig(code, parseConfig())
	if err != nil {
		return nil
	}
	return withheldIn(sprigNames(&tree.Node))
}

// sprigNames walks tree once for the sprig functions it names.
func sprigNames(tree *ast.Node) *sprigUsed {
	used := &sprigUsed{names: map[string]bool{}}
	ast.Walk(tree, used)
	return used
}

// withheldIn refuses an expression that calls a withheld sprig function
// by name (used: what it names); one that reaches sprig by a computed
// name finds only the others.
func withheldIn(used *sprigUsed) error {
	var names []string
	for n := range used.names {
		if _, ok := withheldSprig[n]; ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	why := make([]string, len(names))
	for i, n := range names {
		why[i] = fmt.Sprintf("sprig.%s (it %s)", n, withheldSprig[n])
	}
	return fmt.Errorf("semaflow's expressions do not offer %s: expressions run inside the server", strings.Join(why, ", "))
}

// Command semaflow-init is the step init of a step run as the step user
// (internal/stepinit): the supervisor starts it as `semaflow-init CONFIG`
// in the step's new namespaces. Installed beside semaflow; not for people.
package main

import (
	"fmt"
	"os"

	"github.com/semaflow/semaflow/internal/stepinit"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "semaflow-init: the step init of semaflow's supervisor, which starts it with one argument, CONFIG; not run by hand")
		os.Exit(2)
	}
	os.Exit(stepinit.Main(os.Args[1]))
}

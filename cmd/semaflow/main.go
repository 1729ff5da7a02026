// Command semaflow runs Argo Workflows manifests without Kubernetes.
package main

import (
	"os"

	"github.com/semaflow/semaflow/internal/cli"
)

func main() {
	os.Exit(cli.Execute(cli.Args(os.Args), os.Stdout, os.Stderr, os.Getenv))
}

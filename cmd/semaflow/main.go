// Command semaflow runs Argo Workflows manifests without Kubernetes.
package main

import (
	"os"

	"github.com/semaflow/semaflow/internal/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

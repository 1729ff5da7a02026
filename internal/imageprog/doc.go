// Package imageprog holds the programs semaflow serves in place of an
// image's own, for images whose program a host seldom has: Argo's
// argosay (argoproj/argosay:v2's /argosay) and cowsay (docker/whalesay,
// argoproj/argosay:v1). The CLI runs them as hidden subcommands, and
// as `/argosay` when the binary is reached under that name.
package imageprog

// Package images holds the image table: what a container with no
// `command` runs. Steps run on the host, so an image is never pulled;
// its entrypoint and default arguments come from this table instead,
// built-in entries first overridden by the user's (a YAML file, see
// Parse). It does no I/O.
package images

// Package artifacts stores the files and directories that steps pass to
// each other. A Driver holds objects under keys in one repository; the
// local repository (a directory, by default in the data directory) is
// the default driver. The engine chooses keys (Argo's default is
// {{workflow.name}}/{{pod.name}}/NAME.tgz) and archives outputs; a driver
// only moves bytes between a path the engine trusts and its repository.
package artifacts

package images

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Entry says what an image runs, as its ENTRYPOINT and CMD would.
type Entry struct {
	// Image is a repository, optionally with a tag (`alpine`,
	// `argoproj/argosay:v1`); without a tag it matches every tag.
	Image      string   `json:"image"`
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	// WorkingDir is the image's working directory (its WORKDIR): a
	// step of a template with no workingDir stands its own working
	// directory in for it (executor.Spec.ImageWorkDir). "": unknown.
	WorkingDir string `json:"workingDir,omitempty"`
}

// Table maps images to entries; the zero value holds only the built-ins.
type Table struct {
	user []Entry
}

// ArgosayPath is where Argo's argosay image keeps its program; semaflow
// serves it with `semaflow argosay`.
const ArgosayPath = "/argosay"

// builtin are the images Argo's examples and e2e tests use. A shell or
// interpreter run with no arguments reads an empty stdin and exits 0,
// as it does in a pod.
// The working directories are those of the official images (none set
// is /); where unsure, none is given.
var builtin = []Entry{
	{Image: "argoproj/argosay:v1", Cmd: []string{"cowsay"}},
	{Image: "argoproj/argosay", Entrypoint: []string{ArgosayPath}},
	{Image: "docker/whalesay", Cmd: []string{"/bin/bash"}},
	{Image: "alpine", Cmd: []string{"/bin/sh"}, WorkingDir: "/"},
	{Image: "busybox", Cmd: []string{"sh"}, WorkingDir: "/"},
	{Image: "python", Cmd: []string{"python3"}, WorkingDir: "/"},
	{Image: "ubuntu", Cmd: []string{"bash"}, WorkingDir: "/"},
	{Image: "debian", Cmd: []string{"bash"}, WorkingDir: "/"},
	{Image: "golang", Cmd: []string{"bash"}, WorkingDir: "/go"},
	{Image: "node", Cmd: []string{"node"}, WorkingDir: "/"},
	{Image: "curlimages/curl", Entrypoint: []string{"curl"}},
	{Image: "stedolan/jq", Entrypoint: []string{"jq"}},
}

// file is the user's table as written.
type file struct {
	Images []Entry `json:"images"`
}

// Parse reads a user table; name is the file, for errors. Its entries
// come before the built-ins, so they may replace one.
//
//	images:
//	  - image: myorg/tool          # every tag
//	    entrypoint: [/usr/local/bin/tool]
//	    cmd: [--help]
//	    workingDir: /srv/tool      # its WORKDIR, if it has one
func Parse(name string, b []byte) (*Table, error) {
	var f file
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, fmt.Errorf("image table %s: %w", name, err)
	}
	for i, e := range f.Images {
		if strings.TrimSpace(e.Image) == "" {
			return nil, fmt.Errorf("image table %s: images[%d].image is empty", name, i)
		}
		if len(e.Entrypoint) == 0 && len(e.Cmd) == 0 {
			return nil, fmt.Errorf("image table %s: images[%d] (%s) has neither entrypoint nor cmd", name, i, e.Image)
		}
		if e.WorkingDir != "" && (!path.IsAbs(e.WorkingDir) || path.Clean(e.WorkingDir) != e.WorkingDir) {
			return nil, fmt.Errorf("image table %s: images[%d] (%s): workingDir %q is not a clean absolute path", name, i, e.Image, e.WorkingDir)
		}
	}
	return &Table{user: f.Images}, nil
}

// Lookup finds image's entry: the user's before the built-ins, and in
// each an entry naming the tag before one naming only the repository.
func (t *Table) Lookup(image string) (Entry, bool) {
	keys := candidates(image)
	var lists [][]Entry
	if t != nil {
		lists = append(lists, t.user)
	}
	lists = append(lists, builtin)
	for _, list := range lists {
		for _, k := range keys {
			for _, e := range list {
				if normal(e.Image) == k {
					return e, true
				}
			}
		}
	}
	return Entry{}, false
}

// ErrNoProgram means a container names neither a command nor args, and
// its image is not in the table.
var ErrNoProgram = errors.New("no program to run")

// Argv is what a container runs, as Kubernetes composes it: `command`
// replaces the image's entrypoint and drops its cmd; `args` replace the
// cmd. An image the table lacks is taken to have no entrypoint, so its
// args run as they stand.
func (t *Table) Argv(image string, command, args []string) ([]string, error) {
	if len(command) > 0 {
		return append(slices.Clone(command), args...), nil
	}
	e, ok := t.Lookup(image)
	if !ok {
		if len(args) > 0 {
			return slices.Clone(args), nil
		}
		return nil, fmt.Errorf("%w: the container has no command or args, and image %q is not in the image table; give it a command, or add the image to the table (--image-table)", ErrNoProgram, image)
	}
	argv := slices.Clone(e.Entrypoint)
	if len(args) > 0 {
		argv = append(argv, args...)
	} else {
		argv = append(argv, e.Cmd...)
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("%w: image %q has neither entrypoint nor cmd in the image table, and the container no command or args", ErrNoProgram, image)
	}
	return argv, nil
}

// WorkingDir is image's working directory from the table; "" when the
// table does not say.
func (t *Table) WorkingDir(image string) string {
	e, _ := t.Lookup(image)
	return e.WorkingDir
}

// IsArgosay says whether image is Argo's argosay image that keeps its
// program at ArgosayPath.
func (t *Table) IsArgosay(image string) bool {
	e, ok := t.Lookup(image)
	return ok && len(e.Entrypoint) > 0 && e.Entrypoint[0] == ArgosayPath
}

// ServesPrograms says whether image comes with a program semaflow
// serves in its place (argosay, cowsay): Argo's argosay images and
// docker/whalesay, whose shells call them by name.
func (t *Table) ServesPrograms(image string) bool {
	for _, k := range candidates(image) {
		if k == "argoproj/argosay" || k == "docker/whalesay" {
			return true
		}
	}
	return false
}

// candidates are the keys image may match, most precise first: with
// and without its tag, then the same without a registry host.
func candidates(image string) []string {
	name, tag := split(normal(image))
	keys := []string{}
	add := func(n string) {
		if tag != "" {
			keys = append(keys, n+":"+tag)
		}
		keys = append(keys, n)
	}
	add(name)
	if host, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		add(strings.TrimPrefix(rest, "library/"))
	}
	return keys
}

// normal drops a digest and Docker Hub's implicit prefixes.
func normal(image string) string {
	image = strings.TrimSpace(image)
	image, _, _ = strings.Cut(image, "@")
	for _, p := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"} {
		image = strings.TrimPrefix(image, p)
	}
	return strings.TrimPrefix(image, "library/")
}

// split separates a tag from a repository; a colon before the last
// slash belongs to a registry's port.
func split(image string) (name, tag string) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, ""
	}
	return image[:i], image[i+1:]
}

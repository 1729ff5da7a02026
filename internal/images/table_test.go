package images

import (
	"errors"
	"slices"
	"testing"
)

func TestArgv(t *testing.T) {
	user, err := Parse("t.yaml", []byte("images:\n- image: myorg/tool\n  entrypoint: [/opt/tool]\n  cmd: [--help]\n- image: alpine:edge\n  cmd: [ash]\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		table         *Table
		image         string
		command, args []string
		want          []string
		err           bool
	}{
		{"command wins and drops cmd", nil, "argoproj/argosay:v2", []string{"sh", "-c"}, []string{"echo"}, []string{"sh", "-c", "echo"}, false},
		{"argosay v2 entrypoint with args", nil, "argoproj/argosay:v2", nil, []string{"exit", "1"}, []string{"/argosay", "exit", "1"}, false},
		{"argosay v2 alone", nil, "argoproj/argosay:v2", nil, nil, []string{"/argosay"}, false},
		{"argosay from quay", nil, "quay.io/argoproj/argosay:v2", nil, nil, []string{"/argosay"}, false},
		{"argosay v1 runs cowsay", nil, "argoproj/argosay:v1", nil, nil, []string{"cowsay"}, false},
		{"argosay v1 args replace cmd", nil, "argoproj/argosay:v1", nil, []string{"cowsay", "hi"}, []string{"cowsay", "hi"}, false},
		{"alpine shell", nil, "alpine:3.23", nil, nil, []string{"/bin/sh"}, false},
		{"docker hub prefix", nil, "docker.io/library/busybox:latest", nil, nil, []string{"sh"}, false},
		{"python", nil, "python:alpine3.23", nil, nil, []string{"python3"}, false},
		{"digest", nil, "alpine@sha256:abcd", nil, nil, []string{"/bin/sh"}, false},
		{"registry port is no tag", nil, "localhost:5000/alpine", nil, nil, []string{"/bin/sh"}, false},
		{"unknown with args", nil, "myorg/other", nil, []string{"run", "x"}, []string{"run", "x"}, false},
		{"unknown alone", nil, "myorg/other", nil, nil, nil, true},
		{"user entry", user, "myorg/tool:1.2", nil, nil, []string{"/opt/tool", "--help"}, false},
		{"user entry with args", user, "myorg/tool", nil, []string{"go"}, []string{"/opt/tool", "go"}, false},
		{"user tag entry overrides built-in", user, "alpine:edge", nil, nil, []string{"ash"}, false},
		{"built-in for other tags", user, "alpine:3", nil, nil, []string{"/bin/sh"}, false},
	}
	for _, c := range cases {
		got, err := c.table.Argv(c.image, c.command, c.args)
		if c.err {
			if !errors.Is(err, ErrNoProgram) {
				t.Errorf("%s: err = %v, want ErrNoProgram", c.name, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: Argv = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"images:\n- entrypoint: [x]\n",
		"images:\n- image: a\n",
		"imagez: []\n",
	} {
		if _, err := Parse("t.yaml", []byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func TestIsArgosay(t *testing.T) {
	var tb *Table
	if !tb.IsArgosay("argoproj/argosay:v2") || tb.IsArgosay("argoproj/argosay:v1") || tb.IsArgosay("alpine") {
		t.Fatal("IsArgosay is wrong for the built-ins")
	}
}

func TestServesPrograms(t *testing.T) {
	var tb *Table
	if !tb.ServesPrograms("argoproj/argosay:v1") || !tb.ServesPrograms("docker/whalesay:latest") || tb.ServesPrograms("alpine") {
		t.Fatal("ServesPrograms is wrong for the built-ins")
	}
}

// An image's working directory (its WORKDIR) comes from the table: the
// built-ins Argo's examples use, and user entries, which must give an
// absolute path.
func TestWorkingDir(t *testing.T) {
	user, err := Parse("t.yaml", []byte("images:\n- image: myorg/tool\n  entrypoint: [/opt/tool]\n  workingDir: /srv/tool\n- image: python:3-slim\n  cmd: [python3]\n  workingDir: /app\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table       *Table
		image, want string
	}{
		{nil, "python:alpine3.23", "/"},
		{nil, "alpine:3.23", "/"},
		{nil, "docker.io/library/busybox", "/"},
		{nil, "golang:1.23", "/go"},
		{nil, "argoproj/argosay:v2", ""},
		{nil, "myorg/other", ""},
		{user, "myorg/tool:1", "/srv/tool"},
		{user, "python:3-slim", "/app"},
		{user, "python:alpine3.23", "/"},
	} {
		if got := c.table.WorkingDir(c.image); got != c.want {
			t.Errorf("WorkingDir(%q) = %q, want %q", c.image, got, c.want)
		}
	}
	for _, in := range []string{
		"images:\n- image: a\n  cmd: [x]\n  workingDir: rel\n",
		"images:\n- image: a\n  cmd: [x]\n  workingDir: /a/../b\n",
	} {
		if _, err := Parse("t.yaml", []byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// argoSource reads Argo's e2e tests and fixtures straight from a git clone at
// a given ref, so nothing of Argo's is kept in this repository.
type argoSource struct {
	gitDir, ref string
}

// e2eDir is where Argo keeps the functional tests; fixture paths written
// "@testdata/x.yaml" in a test are relative to it.
const e2eDir = "test/e2e"

func (s argoSource) git(args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", s.gitDir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s in %s: %w: %s", strings.Join(args, " "), s.gitDir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// readFile returns a file of the clone at the ref, following symlinks
// (Argo's functional/*.yaml often link to examples/).
func (s argoSource) readFile(p string) ([]byte, error) {
	for hop := 0; hop < 8; hop++ {
		ls, err := s.git("ls-tree", s.ref, "--", p)
		if err != nil {
			return nil, err
		}
		fields := strings.Fields(string(ls))
		if len(fields) < 4 {
			return nil, fmt.Errorf("%s:%s: no such file in %s", s.ref, p, s.gitDir)
		}
		body, err := s.git("cat-file", "blob", fields[2])
		if err != nil {
			return nil, err
		}
		if fields[0] != "120000" {
			return body, nil
		}
		p = path.Clean(path.Join(path.Dir(p), strings.TrimSpace(string(body))))
	}
	return nil, fmt.Errorf("%s:%s: too many symlinks", s.ref, p)
}

// resource is one manifest a test gives Argo's fixture, in the order the test
// gives them.
type resource struct {
	kind   string // Workflow, WorkflowTemplate, ...
	origin string // "@testdata/x.yaml" or "inline"
	text   string
}

// givenMethods are the fixture methods that take a manifest, with the kind
// Argo's fixture decodes it as (inline manifests often omit kind).
var givenMethods = map[string]string{
	"Workflow":                "Workflow",
	"WorkflowTemplate":        "WorkflowTemplate",
	"ClusterWorkflowTemplate": "ClusterWorkflowTemplate",
	"CronWorkflow":            "CronWorkflow",
}

// testResources parses one Argo test file and returns, per test method, the
// manifests it submits. A manifest built at run time (fmt.Sprintf) is
// returned as an error for that test.
func (s argoSource) testResources(file string) (map[string][]resource, map[string]error, error) {
	src, err := s.readFile(path.Join(e2eDir, file))
	if err != nil {
		return nil, nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	out := map[string][]resource{}
	bad := map[string]error{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Body == nil {
			continue
		}
		type found struct {
			pos token.Pos
			r   resource
		}
		var list []found
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			kind, ok := givenMethods[sel.Sel.Name]
			if !ok {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				bad[fn.Name.Name] = fmt.Errorf("%s: %s(...) at %s is not a string literal", file, sel.Sel.Name, fset.Position(call.Pos()))
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			if err != nil {
				bad[fn.Name.Name] = fmt.Errorf("%s: %w", fset.Position(lit.Pos()), err)
				return true
			}
			list = append(list, found{lit.Pos(), resource{kind: kind, origin: "inline", text: text}})
			return true
		})
		sort.Slice(list, func(i, j int) bool { return list[i].pos < list[j].pos })
		for _, fd := range list {
			r := fd.r
			if rel, ok := strings.CutPrefix(r.text, "@"); ok {
				body, err := s.readFile(path.Join(e2eDir, rel))
				if err != nil {
					bad[fn.Name.Name] = err
					continue
				}
				r.origin, r.text = "@"+rel, string(body)
			}
			out[fn.Name.Name] = append(out[fn.Name.Name], r)
		}
	}
	return out, bad, nil
}

var kindLine = regexp.MustCompile(`(?m)^kind:`)

// manifest returns the resource as a file semaflow reads: Argo's fixture
// decodes into a typed object, so inline manifests may leave out apiVersion
// and kind; semaflow's loader needs them.
func (r resource) manifest() string {
	if kindLine.MatchString(r.text) {
		return r.text
	}
	return "apiVersion: argoproj.io/v1alpha1\nkind: " + r.kind + "\n" + r.text
}

// Command argo-functional runs the workflows of Argo Workflows' functional
// e2e tests (read at run time from a git clone of argo-workflows) on
// semaflow, and checks each against expectations.tsv: what the Argo test
// asserts, restated by hand. It needs the clone, so it runs by hand, not in
// CI; see README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// testFiles are the Argo test files measured (issue 22).
var testFiles = []string{
	"functional_test.go", "hooks_test.go", "retry_test.go", "suspend_test.go",
	"expr_lang_test.go", "failed_main_test.go", "invalid_command_test.go", "workflow_test.go",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "argo-functional:", err)
		os.Exit(2)
	}
}

func run() error {
	table := flag.String("table", "scripts/argo-functional/expectations.tsv", "expectations table")
	only := flag.String("run", "", "run only the tests whose name matches this regular expression")
	outDir := flag.String("out", os.Getenv("ARGO_FUNCTIONAL_OUT"), "directory for results.tsv, results.md and each test's workflows (default: a new temporary directory)")
	flag.Parse()

	src := argoSource{gitDir: os.Getenv("ARGO_GIT"), ref: os.Getenv("ARGO_REF")}
	if src.gitDir == "" {
		return fmt.Errorf("set ARGO_GIT to a clone of github.com/argoproj/argo-workflows (a bare clone will do)")
	}
	if src.ref == "" {
		src.ref = "v4.1.2"
	}
	var filter *regexp.Regexp
	if *only != "" {
		var err error
		if filter, err = regexp.Compile(*only); err != nil {
			return fmt.Errorf("-run: %w", err)
		}
	}
	exps, err := loadExpectations(*table)
	if err != nil {
		return err
	}
	if *outDir == "" {
		if *outDir, err = os.MkdirTemp("", "argo-functional-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	bin := os.Getenv("SEMAFLOW_BIN")
	if bin == "" {
		bin = filepath.Join(*outDir, "semaflow")
		fmt.Fprintln(os.Stderr, "building ./cmd/semaflow and ./cmd/semaflow-init ...")
		b := exec.Command("go", "build", "-o", *outDir+"/", "./cmd/semaflow", "./cmd/semaflow-init")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/semaflow (run from the repository root): %w", err)
		}
	}

	resources := map[string][]resource{}
	problems := map[string]error{}
	inSource := map[string]string{}
	for _, f := range testFiles {
		rs, bad, err := src.testResources(f)
		if err != nil {
			return err
		}
		for t, r := range rs {
			resources[t] = r
			inSource[t] = f
		}
		for t, e := range bad {
			problems[t] = e
			inSource[t] = f
		}
	}
	if err := crossCheck(exps, inSource, src); err != nil {
		return err
	}

	var results []result
	for _, e := range exps {
		if filter != nil && !filter.MatchString(e.test) {
			continue
		}
		r := runTest(context.Background(), bin, *outDir, e, resources[e.test], problems[e.test])
		fmt.Printf("%-9s %-62s %5.1fs %s\n", r.outcome, e.suite+"/"+e.test, r.seconds, r.detail)
		results = append(results, r)
	}
	return writeReports(*outDir, src, results)
}

// crossCheck makes the table and Argo's source agree: a test the table does
// not know (a newer ref) or a row for a test that is gone is an error.
func crossCheck(exps []expectation, inSource map[string]string, src argoSource) error {
	var msgs []string
	seen := map[string]bool{}
	for _, e := range exps {
		seen[e.test] = true
		f, ok := inSource[e.test]
		switch {
		case !ok:
			if body, err := src.readFile(filepath.Join(e2eDir, e.file)); err != nil || !strings.Contains(string(body), ") "+e.test+"()") {
				msgs = append(msgs, fmt.Sprintf("expectations.tsv:%d: %s is not in %s at %s", e.line, e.test, e.file, src.ref))
			}
		case f != e.file:
			msgs = append(msgs, fmt.Sprintf("expectations.tsv:%d: %s is in %s, not %s", e.line, e.test, f, e.file))
		}
	}
	var missing []string
	for t := range inSource {
		if !seen[t] {
			missing = append(missing, t+" ("+inSource[t]+")")
		}
	}
	sort.Strings(missing)
	for _, t := range missing {
		msgs = append(msgs, "no row in expectations.tsv for "+t)
	}
	if len(msgs) > 0 {
		return fmt.Errorf("the table does not match Argo's tests at %s:\n  %s", src.ref, strings.Join(msgs, "\n  "))
	}
	return nil
}

type result struct {
	exp       expectation
	outcome   string // pass, fail, hang, needs-k8s
	accident  bool   // passed, but a step could not start (an argosay verb or image binary)
	detail    string
	fixtures  string
	seconds   float64
	workflows []string
}

func runTest(ctx context.Context, bin, outDir string, e expectation, rs []resource, problem error) result {
	start := time.Now()
	r := result{exp: e}
	var origins []string
	for _, x := range rs {
		origins = append(origins, x.origin)
	}
	r.fixtures = strings.Join(origins, " + ")
	defer func() { r.seconds = time.Since(start).Seconds() }()
	if e.k8s != "" {
		r.outcome, r.detail = "needs-k8s", e.k8s
		return r
	}
	if problem != nil {
		r.outcome, r.detail = "fail", "harness: "+problem.Error()
		return r
	}
	dir := filepath.Join(outDir, e.suite+"."+e.test)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.outcome, r.detail = "fail", "harness: "+err.Error()
		return r
	}
	outcome, detail, accident, names := runWorkflows(ctx, bin, dir, e, rs)
	r.outcome, r.detail, r.accident, r.workflows = outcome, detail, accident, names
	r.seconds = time.Since(start).Seconds()
	return r
}

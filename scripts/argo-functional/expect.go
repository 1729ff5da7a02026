package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// expectation is one row of expectations.tsv: what one Argo test asserts,
// restated as checks on the workflow semaflow ends with.
type expectation struct {
	suite, test, file, fixture string
	k8s                        string // "" when the test needs no Kubernetes, else why it does
	timeout                    time.Duration
	action                     string // "", "after 3s", "terminate-when <check>"
	checks                     []string
	cause                      string // what a miss needs, written from the baseline
	line                       int
}

var tsvColumns = []string{"suite", "test", "file", "fixture", "k8s", "timeout", "action", "checks", "cause"}

func loadExpectations(p string) ([]expectation, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out []expectation
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	header := true
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if header {
			if strings.Join(cols, ",") != strings.Join(tsvColumns, ",") {
				return nil, fmt.Errorf("%s:%d: header must be %q", p, n, strings.Join(tsvColumns, "\\t"))
			}
			header = false
			continue
		}
		if len(cols) != len(tsvColumns) {
			return nil, fmt.Errorf("%s:%d: %d columns, want %d", p, n, len(cols), len(tsvColumns))
		}
		e := expectation{suite: cols[0], test: cols[1], file: cols[2], fixture: cols[3], action: cols[6], cause: cols[8], line: n}
		switch {
		case cols[4] == "no":
		case strings.HasPrefix(cols[4], "yes: "):
			e.k8s = strings.TrimPrefix(cols[4], "yes: ")
		default:
			return nil, fmt.Errorf("%s:%d: k8s column must be \"no\" or \"yes: <reason>\", got %q", p, n, cols[4])
		}
		e.timeout = 60 * time.Second
		if cols[5] != "" {
			s, err := strconv.Atoi(cols[5])
			if err != nil || s <= 0 {
				return nil, fmt.Errorf("%s:%d: timeout %q is not a number of seconds", p, n, cols[5])
			}
			e.timeout = time.Duration(s) * time.Second
		}
		for _, c := range strings.Split(cols[7], ";") {
			if c = strings.TrimSpace(c); c != "" {
				if err := validCheck(c); err != nil {
					return nil, fmt.Errorf("%s:%d: check %q: %w", p, n, c, err)
				}
				e.checks = append(e.checks, c)
			}
		}
		if e.k8s == "" && len(e.checks) == 0 {
			return nil, fmt.Errorf("%s:%d: a test that needs no Kubernetes needs at least one check", p, n)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

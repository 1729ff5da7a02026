package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// writeReports writes results.tsv (one row per test) and results.md (the
// tally and the misses grouped by cause), and prints the tally.
func writeReports(dir string, src argoSource, results []result) error {
	var tsv strings.Builder
	tsv.WriteString("suite\ttest\tresult\tcause\tdetail\tfixture\tseconds\n")
	count := map[string]int{}
	accidents := 0
	byCause := map[string][]result{}
	for _, r := range results {
		outcome := r.outcome
		if r.outcome == "pass" && r.accident {
			accidents++
			outcome = "pass*"
		}
		count[r.outcome]++
		cause := ""
		if r.outcome == "fail" || r.outcome == "hang" {
			cause = r.exp.cause
			if cause == "" {
				cause = "unclassified"
			}
			byCause[category(cause)] = append(byCause[category(cause)], r)
		}
		fmt.Fprintf(&tsv, "%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n", r.exp.suite, r.exp.test, outcome, cause,
			tabless(r.detail), r.fixtures, r.seconds)
	}
	runnable := count["pass"] + count["fail"] + count["hang"]
	tally := fmt.Sprintf("%d tests: %d need Kubernetes; of the %d that do not: %d pass (%d of them only because a step could not start), %d fail, %d hang",
		len(results), count["needs-k8s"], runnable, count["pass"], accidents, count["fail"], count["hang"])

	var md strings.Builder
	fmt.Fprintf(&md, "# Argo %s functional e2e tests on semaflow\n\n%s.\n\n", src.ref, tally)
	md.WriteString("`pass*`: the outcome matches, but a step could not start (an argosay verb or an image's binary), so it matches by accident.\n\n")
	md.WriteString("## Misses by cause\n\n")
	causes := make([]string, 0, len(byCause))
	for c := range byCause {
		causes = append(causes, c)
	}
	sort.Slice(causes, func(i, j int) bool {
		if len(byCause[causes[i]]) != len(byCause[causes[j]]) {
			return len(byCause[causes[i]]) > len(byCause[causes[j]])
		}
		return causes[i] < causes[j]
	})
	for _, c := range causes {
		fmt.Fprintf(&md, "### %s (%d)\n\n", c, len(byCause[c]))
		for _, r := range byCause[c] {
			fmt.Fprintf(&md, "- %s/%s (%s): needs: %s. Got: %s\n", r.exp.suite, r.exp.test, r.outcome, mdEscape(r.exp.cause), mdEscape(r.detail))
		}
		md.WriteString("\n")
	}
	md.WriteString("## Every test\n\n| suite | test | result | cause | detail |\n|---|---|---|---|---|\n")
	for _, r := range results {
		outcome := r.outcome
		if r.outcome == "pass" && r.accident {
			outcome = "pass*"
		}
		cause := ""
		if r.outcome == "fail" || r.outcome == "hang" {
			cause = r.exp.cause
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s | %s |\n", r.exp.suite, r.exp.test, outcome, cause, mdEscape(r.detail))
	}
	if err := os.WriteFile(filepath.Join(dir, "results.tsv"), []byte(tsv.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	fmt.Printf("\n%s\nresults: %s\n", tally, filepath.Join(dir, "results.md"))
	return nil
}

// category is the head of a cause ("argosay/issue 17 (verb exit)" ->
// "argosay/issue 17"), so misses group by what they wait for.
func category(cause string) string {
	for _, sep := range []string{" (", ";", ":"} {
		if i := strings.Index(cause, sep); i > 0 {
			cause = cause[:i]
		}
	}
	return cause
}

func tabless(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }

func mdEscape(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }

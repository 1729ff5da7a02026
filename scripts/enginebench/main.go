// Command enginebench measures the engine against the process-spawn floor,
// running an old and a new semaflow binary alternately in one session so
// that their ratios share the machine's drift (issue 16).
//
//	go run ./scripts/enginebench -old main -new HEAD -rounds 3
//	go run ./scripts/enginebench -old-bin /path/old -new-bin /path/new -cases handoff,handoff-load
//	go run ./scripts/enginebench -profile        # CPU top 10 of BenchmarkDAG1000 and the 10,000-step run
//
// Every case runs `semaflow run --db` on a generated manifest, reads the
// final workflows (-o json) and times them by the engine's own clock
// (workflow and node startedAt/finishedAt), so process start-up and
// printing are outside the figure. The spawn floor (Go exec of /bin/true,
// as perf-anchors §2) is measured right before and right after every
// engine run, with the case's own parallelism, and the ratio divides by
// the mean of the two.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cleanEach removes each run's data directory right after the run, as the
// harness did before 2026-12-05. Off by default: on ext4 without a journal
// (these machines), creating an inode scans the inodes deleted in the last
// minute or so (ext4's recently_deleted), so one case's cleanup of thousands
// of step directories taxes every step of the next case. Without it the
// work directory goes at the end of the session, and each case pays only
// for what it creates itself.
var cleanEach = flag.Bool("clean-each", false, "remove each run's data directory right after it (the next case then pays for the deletes on journal-less ext4)")

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-burn" {
		burn()
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "enginebench:", err)
		os.Exit(2)
	}
}

func run() error {
	oldRev := flag.String("old", "", "git revision to build as the old binary (built from `git archive` in a temporary directory)")
	newRev := flag.String("new", "", "git revision to build as the new binary (default: the working tree)")
	oldBin := flag.String("old-bin", "", "an already built old semaflow binary (instead of -old)")
	newBin := flag.String("new-bin", "", "an already built new semaflow binary (instead of -new)")
	rounds := flag.Int("rounds", 3, "rounds; each runs every case once per binary, the order flipped each round")
	casesFlag := flag.String("cases", "dag1000,seq1000,drain1000,handoff,handoff-load", "comma-separated cases, or all: "+strings.Join(caseNames(), ","))
	work := flag.String("work", "", "directory for databases and step directories (default: a new one under /var/tmp; not /tmp, where a step start costs a bind mount)")
	profile := flag.Bool("profile", false, "instead of the rounds: CPU-profile BenchmarkDAG1000 and the 10,000-step BenchmarkNodes of -new (or the working tree) and print each profile's top 10")
	flag.Parse()

	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("/var/tmp", "enginebench-")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(d) }()
		dir = d
	}
	if *profile {
		return profileTop(dir, *newRev)
	}
	cases, err := pickCases(*casesFlag)
	if err != nil {
		return err
	}
	var builds []build
	if *oldBin != "" || *oldRev != "" {
		b, err := makeBuild("old", *oldRev, *oldBin, filepath.Join(dir, "old"))
		if err != nil {
			return err
		}
		builds = append(builds, b)
	}
	b, err := makeBuild("new", *newRev, *newBin, filepath.Join(dir, "new"))
	if err != nil {
		return err
	}
	builds = append(builds, b)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("enginebench: %d rounds, cases %s, builds %s; load %s", *rounds, *casesFlag, describe(builds), load)
	res := newResults()
	for r := range *rounds {
		order := builds
		if r%2 == 1 && len(builds) == 2 {
			order = []build{builds[1], builds[0]}
		}
		for _, c := range cases {
			for _, b := range order {
				m, err := c.run(b, filepath.Join(dir, fmt.Sprintf("r%d-%s-%s", r, c.name, b.name)))
				if err != nil {
					return fmt.Errorf("round %d, %s, %s: %w", r+1, c.name, b.name, err)
				}
				fmt.Printf("round %d  %-12s %-3s %s\n", r+1, c.name, b.name, m)
				res.add(c.name, b.name, m)
			}
		}
	}
	res.print(builds)
	return nil
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// profiled are the benchmarks of internal/engine whose CPU profiles the
// issue asks for: the engine's own process (store, reconcile, executor
// client); the supervisor and the steps are other processes.
var profiled = []struct{ name, bench string }{
	{"BenchmarkDAG1000", "^BenchmarkDAG1000$"},
	{"BenchmarkNodes/10000", "^BenchmarkNodes$/^10000$"},
}

// profileTop builds rev's (or the working tree's) engine test binary,
// runs each profiled benchmark once with a CPU profile and prints the
// profile's top 10 by flat time, then by cumulative time.
func profileTop(dir, rev string) error {
	src, err := sourceTree(rev, filepath.Join(dir, "prof"))
	if err != nil {
		return err
	}
	pkg := filepath.Join(src, "internal", "engine")
	bin := filepath.Join(dir, "engine.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir = pkg
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c ./internal/engine: %w\n%s", err, b)
	}
	for _, p := range profiled {
		prof := filepath.Join(dir, filepath.Base(p.name)+".prof")
		cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", p.bench, "-test.benchtime", "1x", "-test.cpuprofile", prof)
		cmd.Dir = pkg
		// Step directories off /tmp: under it each step start costs a bind mount.
		cmd.Env = append(os.Environ(), "TMPDIR="+dir)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		for _, sort := range []string{"-top", "-cum"} {
			args := []string{"tool", "pprof", "-top", "-nodecount=10"}
			if sort == "-cum" {
				args = append(args, "-cum")
			}
			fmt.Printf("\n== %s, %s\n", p.name, map[string]string{"-top": "flat", "-cum": "cumulative"}[sort])
			top := exec.Command("go", append(args, bin, prof)...)
			top.Stdout, top.Stderr = os.Stdout, os.Stderr
			if err := top.Run(); err != nil {
				return err
			}
		}
	}
	return nil
}

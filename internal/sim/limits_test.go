package sim

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// repeatKinds is a load of n kinds of count copies each, their steps one
// YAML anchor: a few bytes per kind however large the count.
func repeatKinds(n, count int) string {
	var b strings.Builder
	b.WriteString("seed: 1\nlocks: {db: 1}\nworkflows:\n")
	for i := range n {
		fmt.Fprintf(&b, "- kind: k%d\n  count: %d\n  every: 1s\n", i, count)
		if i == 0 {
			b.WriteString("  steps: &s\n  - {locks: [db], hold: 1s}\n")
		} else {
			b.WriteString("  steps: *s\n")
		}
	}
	return b.String()
}

// manySteps is one kind of count copies with n steps that each take db.
func manySteps(count, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "locks: {db: 1}\nworkflows:\n- kind: k\n  count: %d\n  every: 1s\n  steps:\n", count)
	for range n {
		b.WriteString("  - {locks: [db], hold: 1s}\n")
	}
	return b.String()
}

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A load too large to simulate is refused from its counts, before a
// single workflow is made, naming the file and the limit.
func TestParseLoadRefusesTooLargeUpFront(t *testing.T) {
	cases := map[string]struct {
		load string
		want []string
	}{
		"workflows in all": {repeatKinds(3, 100_000), []string{"300000 workflows", "200000"}},
		"steps of a kind":  {manySteps(1, 1001), []string{"workflows[0] (k)", "1001 steps", "1000"}},
		"actions in all":   {manySteps(1200, 1000), []string{"2401200 actions", "2000000"}},
	}
	for name, c := range cases {
		var err error
		n := allocated(func() { _, err = ParseLoad("big.yaml", []byte(c.load)) })
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range append(c.want, "big.yaml") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want it to say %q", name, err, w)
			}
		}
		if n > 64<<20 {
			t.Errorf("%s: refused only after allocating %d MB", name, n>>20)
		}
	}
}

// The hostile tester's bomb: 200 kinds of a million copies, 10 KB of
// YAML. (It ran out of memory at 6 GB before.)
func TestParseLoadRefusesTheBomb(t *testing.T) {
	load := repeatKinds(200, 1_000_000)
	var err error
	n := allocated(func() { _, err = ParseLoad("bomb.yaml", []byte(load)) })
	if err == nil || !strings.Contains(err.Error(), "bomb.yaml") || !strings.Contains(err.Error(), "200000000 workflows") {
		t.Fatalf("%v, want bomb.yaml refused for its 200000000 workflows", err)
	}
	if n > 64<<20 {
		t.Fatalf("refused only after allocating %d MB", n>>20)
	}
}

// Durations past the virtual clock's end are refused naming the field
// they come from, never as a negative delay or an arrival before the
// start.
func TestParseLoadRefusesDurationsPastTheClock(t *testing.T) {
	const head = "seed: 1\nlocks: {db: 1}\nworkflows:\n- kind: k\n"
	cases := map[string]string{
		// A draw from a mean this large overflowed to a negative delay.
		"exponential hold": head + "  count: 3\n  every: 1s\n  steps: [{locks: [db], hold: {exponential: 2562047h}}]",
		"fixed hold":       head + "  count: 5\n  every: 1s\n  steps: [{locks: [db], hold: 2000000h}]",
		"normal hold":      head + "  count: 5\n  every: 1s\n  steps: [{locks: [db], hold: {normal: [1h, 2000000h]}}]",
		"uniform hold":     head + "  at: [0s]\n  steps: [{locks: [db], hold: {uniform: [1s, 2000000h]}}]",
		"at":               head + "  at: [1s, 2000000h]\n  steps: [{locks: [db], hold: 1s}]",
		"every":            head + "  count: 10\n  every: 2000000h\n  steps: [{locks: [db], hold: 1s}]",
		"random every":     head + "  count: 10\n  every: {exponential: 500000h}\n  steps: [{locks: [db], hold: 1s}]",
		"start":            head + "  count: 1\n  start: 2000000h\n  steps: [{locks: [db], hold: 1s}]",
		"sum of holds":     head + "  at: [0s]\n  steps: [{locks: [db], hold: 500000h}, {hold: 500000h}]",
		"whole-run locks":  head + "  at: [800000h]\n  locks: [db]\n  steps: [{hold: 100000h}]",
	}
	field := map[string]string{"exponential hold": "steps[0].hold", "fixed hold": "steps[0].hold", "normal hold": "steps[0].hold",
		"uniform hold": "steps[0].hold", "at": "at[1]", "every": "every", "random every": "every", "start": "start",
		"sum of holds": "steps[1].hold", "whole-run locks": "steps[0].hold"}
	for name, load := range cases {
		_, err := ParseLoad("ovf.yaml", []byte(load))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		msg := err.Error()
		for _, w := range []string{"ovf.yaml", "workflows[0] (k)", field[name], "virtual clock"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %v, want it to say %q", name, err, w)
			}
		}
		if strings.Contains(msg, "negative") || strings.Contains(msg, "before the start") {
			t.Errorf("%s: %v blames an overflow on the input", name, err)
		}
	}
}

// Holds that each fit but queue past the clock's end stop the run with
// the workflow and the field, not a wrapped clock; long holds that fit
// start in arrival order.
func TestRunStopsAtTheClocksEnd(t *testing.T) {
	load := func(count int, hold string) string {
		return fmt.Sprintf("seed: 1\nlocks: {db: 1}\nworkflows:\n- kind: long\n  count: %d\n  every: 1s\n  steps: [{locks: [db], hold: %s}]\n", count, hold)
	}
	sc, err := ParseLoad("ok.yaml", []byte(load(5, "100000h")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, w := range res.Workflows {
		order = append(order, w.Name)
	}
	if got := strings.Join(order, ","); got != "long-1,long-2,long-3,long-4,long-5" || res.Done != 500000*time.Hour {
		t.Fatalf("order %s done %v, want long-1..5 done at 500000h", got, res.Done)
	}
	sc, err = ParseLoad("ovf3.yaml", []byte(load(10, "100000h")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(sc)
	if err == nil || !strings.Contains(err.Error(), "virtual clock") || !strings.Contains(err.Error(), "workflows[0] (long) steps[0].hold") {
		t.Fatalf("%v, want the run stopped at the virtual clock's end naming workflows[0] (long) steps[0].hold", err)
	}
}

// Names are strings as written: YAML 1.1 read n, yes and off as booleans
// and a kind "n" became "false".
func TestParseLoadKeepsNamesAsWritten(t *testing.T) {
	load := "locks: {n: 1, off: 1, \"y\": 1}\nworkflows:\n" +
		"- {kind: n, at: [0s], locks: [off], steps: [{locks: [n], hold: 1s}]}\n" +
		"- {kind: yes, at: [1s], steps: [{locks: [y], hold: 1s}]}\n" +
		"- {kind: 2024, at: [2s], steps: [{locks: [n], hold: 1s}]}\n"
	sc, err := ParseLoad("names.yaml", []byte(load))
	if err != nil {
		t.Fatal(err)
	}
	var names, keys []string
	for _, w := range sc.Workflows {
		names = append(names, w.Name)
	}
	for _, l := range sc.Locks {
		keys = append(keys, l.Key)
	}
	if got := strings.Join(names, ","); got != "n-1,yes-1,2024-1" {
		t.Errorf("workflows %s, want n-1,yes-1,2024-1", got)
	}
	if got := strings.Join(keys, ","); got != "n,off,y" {
		t.Errorf("locks %s, want n,off,y", got)
	}
}

// What the YAML 1.1 reader refused is still refused.
func TestParseLoadStaysStrict(t *testing.T) {
	cases := map[string]string{
		"locks: {a: 1, a: 2}":                        `"a"`,
		"locks: {a: 1}\nlocks: {b: 1}":               `"locks"`,
		"seed: x":                                    "seed",
		"workflows: [{kind: k, at: [0s], count: 1}]": "not both",
		"locks: [a":                                  "ovf.yaml",
	}
	for in, want := range cases {
		_, err := ParseLoad("ovf.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "ovf.yaml") {
			t.Errorf("%q: %v, want an error of ovf.yaml saying %s", in, err, want)
		}
	}
}

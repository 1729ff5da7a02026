package sim

import (
	"reflect"
	"strings"
	"testing"
)

const fixedLoad = `
locks: {db: 1, deploy: 1}
workflows:
- kind: etl
  count: 2
  every: 1s
  steps:
  - {locks: [db], hold: 4s}
  - {hold: 1s}
- kind: release
  priority: 5
  at: [2s]
  locks: [deploy]
  steps:
  - {locks: [db], hold: 2s}
`

func TestParseLoadFixed(t *testing.T) {
	sc, err := ParseLoad("load.yaml", []byte(fixedLoad))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	// etl-1 holds db 0-4 s; etl-2 (1 s) and release-1 (2 s, priority 5,
	// deploy at once) wait; release-1 gets db 4-6 s, etl-2 6-10 s and
	// ends after its 1 s step, at 11 s.
	var got []wantWF
	for _, w := range res.Workflows {
		got = append(got, wantWF{w.Name, w.Started, w.Finished})
	}
	want := []wantWF{{"etl-1", 0, 5 * s}, {"release-1", 2 * s, 6 * s}, {"etl-2", 6 * s, 11 * s}}
	if !reflect.DeepEqual(got, want) || res.Done != 11*s {
		t.Fatalf("schedule %v done %v, want %v done 11s", got, res.Done, want)
	}
}

const randomLoad = `
seed: %d
locks: {db: 2}
workflows:
- kind: etl
  count: 50
  every: {exponential: 10s}
  steps:
  - {locks: [db], hold: {uniform: [5s, 30s]}}
  - {locks: [db], hold: {normal: [20s, 5s]}}
`

func TestParseLoadIsSeeded(t *testing.T) {
	load := func(seed int) *Result {
		sc, err := ParseLoad("load.yaml", []byte(strings.Replace(randomLoad, "%d", string(rune('0'+seed)), 1)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := load(1), load(1), load(2)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two results")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("two seeds gave one result")
	}
	if len(a.Workflows) != 50 || len(a.Unfinished) != 0 || a.Locks[0].MaxHeld != 2 {
		t.Fatalf("%d workflows, unfinished %v, at most %d held", len(a.Workflows), a.Unfinished, a.Locks[0].MaxHeld)
	}
}

func TestParseLoadErrors(t *testing.T) {
	cases := map[string]string{
		"locks: {a: 1}\nworkflows: [{kind: k, count: 2, steps: [{locks: [a], hold: 1s}]}]":          "count 2 needs every",
		"locks: {a: 1}\nworkflows: [{kind: k, at: [0s], steps: [{locks: [b], hold: 1s}]}]":          "asks for lock b, which has no limit",
		"locks: {a: 1}\nworkflows: [{kind: k, at: [0s], steps: [{locks: [a], hold: soon}]}]":        `"soon"`,
		"locks: {a: 1}\nworkflows: [{kind: k, at: [0s], steps: [{locks: [a], hold: {gamma: 1s}}]}]": `unknown distribution "gamma"`,
		"locks: {a: 1}\nworkflow: []": `unknown field "workflow"`,
		"policy: fifo":                `policy "fifo"`,
	}
	for in, want := range cases {
		_, err := ParseLoad("load.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "load.yaml") {
			t.Errorf("%q: %v, want an error of load.yaml saying %s", in, err, want)
		}
	}
}

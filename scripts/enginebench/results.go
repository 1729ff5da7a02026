package main

import (
	"fmt"
	"sort"
	"strings"
)

type metric struct {
	name  string
	value float64
}

// metrics are one run's figures, in print order.
type metrics []metric

func (m metrics) String() string {
	var parts []string
	for _, x := range m {
		parts = append(parts, fmt.Sprintf("%s %.3f", x.name, x.value))
	}
	return strings.Join(parts, "  ")
}

// results keeps every run's figures by case, build and metric, in the
// order the runs came.
type results struct {
	cases  []string
	values map[string]map[string][]float64 // case → build+"\x00"+metric → per round
	names  map[string][]string             // case → metric names
}

func newResults() *results {
	return &results{values: map[string]map[string][]float64{}, names: map[string][]string{}}
}

func (r *results) add(c, b string, m metrics) {
	if r.values[c] == nil {
		r.values[c] = map[string][]float64{}
		r.cases = append(r.cases, c)
		for _, x := range m {
			r.names[c] = append(r.names[c], x.name)
		}
	}
	for _, x := range m {
		k := b + "\x00" + x.name
		r.values[c][k] = append(r.values[c][k], x.value)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// print gives each case's medians per build and, with two builds, the
// median of the per-round ratios new/old (each round ran both side by
// side, so its ratio shares that moment's load).
func (r *results) print(builds []build) {
	fmt.Println("\nmedians over rounds:")
	for _, c := range r.cases {
		for _, name := range r.names[c] {
			line := fmt.Sprintf("%-12s %-12s", c, name)
			for _, b := range builds {
				line += fmt.Sprintf("  %s %8.3f", b.name, median(r.values[c][b.name+"\x00"+name]))
			}
			if len(builds) == 2 {
				o, n := r.values[c]["old\x00"+name], r.values[c]["new\x00"+name]
				var ratios []float64
				for i := range min(len(o), len(n)) {
					if o[i] != 0 {
						ratios = append(ratios, n[i]/o[i])
					}
				}
				line += fmt.Sprintf("  new/old %.2f (rounds %s)", median(ratios), list(ratios))
			}
			fmt.Println(line)
		}
	}
	for _, pair := range [][2]string{{"dag1000", "dag10000"}, {"seq1000", "seq10000"}} {
		small, big := r.values[pair[0]], r.values[pair[1]]
		if small == nil || big == nil {
			continue
		}
		for _, b := range builds {
			k := b.name + "\x00ms/step"
			fmt.Printf("growth %s/%s %s: time per step %.2fx\n", pair[1], pair[0], b.name, median(big[k])/median(small[k]))
		}
	}
}

func list(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(parts, " ")
}

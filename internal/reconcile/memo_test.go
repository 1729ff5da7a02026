package reconcile

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// memoWF is a workflow whose step a runs a memoized template (key
// "k-<msg>", cache memo-cache) and whose step b echoes a's output.
// memoize is the template's memoize block.
func memoWF(memoize string) string {
	return header + `  entrypoint: main
  arguments: {parameters: [{name: msg, value: hello}]}
  templates:
  - name: main
    steps:
    - - name: a
        template: memo
        arguments: {parameters: [{name: msg, value: "{{workflow.parameters.msg}}"}]}
    - - name: b
        template: echo
        arguments: {parameters: [{name: v, value: "{{steps.a.outputs.parameters.out}} {{steps.a.outputs.result}}"}]}
  - name: memo
    inputs: {parameters: [{name: msg}, {name: age, value: 1h}]}
    memoize:
` + memoize + `
    outputs:
      parameters: [{name: out, valueFrom: {path: /tmp/out}}]
    container: {image: x, command: [compute, "{{inputs.parameters.msg}}"]}
  - name: echo
    inputs: {parameters: [{name: v}]}
    container: {image: x, command: [echo, "{{inputs.parameters.v}}"]}
`
}

const memoBlock = `      key: "k-{{inputs.parameters.msg}}"
      maxAge: 1h
      cache: {configMap: {name: memo-cache}}`

// memoCaches is a Resolver whose ConfigMaps are memo caches the test
// fills, and which records the plans' cache writes as the engine applies
// them.
type memoCaches struct {
	Resolver
	cms    map[string]*wfv1.ConfigMap
	writes []MemoWrite
}

func (m *memoCaches) ConfigMap(ns, name string) *wfv1.ConfigMap {
	if cm := m.cms[ns+"/"+name]; cm != nil {
		return cm
	}
	return m.Resolver.ConfigMap(ns, name)
}

// apply plays the engine: each plan's writes go to the caches at once.
func (m *memoCaches) apply(t *testing.T) func(*Plan, time.Time) {
	return func(p *Plan, now time.Time) {
		for _, w := range p.Memo {
			m.writes = append(m.writes, w)
			k := w.Namespace + "/" + w.Cache
			cm, _, err := ApplyMemoWrites(m.cms[k], w.Namespace, w.Cache, []MemoWrite{w}, now, DefaultMemoBounds)
			if err != nil {
				t.Fatalf("write to cache %s: %v", k, err)
			}
			m.cms[k] = cm
		}
	}
}

// memoSim is a simulation of text whose caches start with entries
// (key -> entry JSON) in memo-cache, labelled as Argo's caches are.
func memoSim(t *testing.T, text string, entries map[string]string, behave func(Launch) outcome) (*sim, *memoCaches) {
	t.Helper()
	s := newSim(t, text, behave)
	m := &memoCaches{Resolver: s.res, cms: map[string]*wfv1.ConfigMap{}}
	if entries != nil {
		ns := s.wf.Metadata.Namespace
		m.cms[ns+"/memo-cache"] = &wfv1.ConfigMap{
			Metadata: wfv1.ObjectMeta{Name: "memo-cache", Namespace: ns, Labels: map[string]string{LabelConfigMapType: LabelValueCache}},
			Data:     entries}
	}
	s.res = m
	s.onPlan = m.apply(t)
	return s, m
}

// entryJSON is a cache entry as Argo writes it, made at created.
func entryJSON(created time.Time, out, result string) string {
	ts := created.UTC().Format(time.RFC3339)
	return `{"nodeID":"old-wf-123","outputs":{"parameters":[{"name":"out","value":"` + out + `"}],"result":"` + result +
		`","exitCode":"0"},"creationTimestamp":"` + ts + `","lastHitTimestamp":"` + ts + `"}`
}

// computing is a step that writes its output file: the compute step
// outputs "computed", the echo step echoes.
func computing(l Launch) outcome {
	if l.Template.Name == "memo" {
		return outcome{takes: time.Second, stdout: "stdout-computed", outputs: map[string]string{"out": "computed"}}
	}
	return succeed(l)
}

func launchedCommands(s *sim) string {
	return strings.Join(s.order, ",")
}

func TestMemoize(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		memoize string
		entries map[string]string // nil: no cache ConfigMap
		behave  func(Launch) outcome
		// ran says whether the memoized step ran; echo is what b echoed.
		ran     bool
		echo    string
		hit     bool
		key     string
		saved   bool   // a cache write of the computed outputs
		phase   string // of node a
		message string // part of node a's message
	}{
		{name: "miss without a cache", memoize: memoBlock, behave: computing,
			ran: true, echo: "computed stdout-computed", key: "k-hello", saved: true, phase: wfv1.PhaseSucceeded},
		{name: "miss on an empty cache", memoize: memoBlock, entries: map[string]string{}, behave: computing,
			ran: true, echo: "computed stdout-computed", key: "k-hello", saved: true, phase: wfv1.PhaseSucceeded},
		{name: "hit", memoize: memoBlock, entries: map[string]string{"k-hello": entryJSON(start.Add(-time.Minute), "cached", "stdout-cached")},
			behave: computing, echo: "cached stdout-cached", hit: true, key: "k-hello", phase: wfv1.PhaseSucceeded},
		{name: "hit without maxAge however old", memoize: strings.Replace(memoBlock, "maxAge: 1h", "", 1),
			entries: map[string]string{"k-hello": entryJSON(start.Add(-1000*time.Hour), "cached", "stdout-cached")},
			behave:  computing, echo: "cached stdout-cached", hit: true, key: "k-hello", phase: wfv1.PhaseSucceeded},
		{name: "expired", memoize: memoBlock, entries: map[string]string{"k-hello": entryJSON(start.Add(-2*time.Hour), "cached", "stdout-cached")},
			behave: computing, ran: true, echo: "computed stdout-computed", key: "k-hello", saved: true, phase: wfv1.PhaseSucceeded},
		{name: "key substituted: another key's entry is not used", memoize: memoBlock,
			entries: map[string]string{"k-other": entryJSON(start, "cached", "stdout-cached"), "hello": entryJSON(start, "cached", "x")},
			behave:  computing, ran: true, echo: "computed stdout-computed", key: "k-hello", saved: true, phase: wfv1.PhaseSucceeded},
		{name: "failed node not cached", memoize: memoBlock, entries: map[string]string{},
			behave: func(Launch) outcome { return outcome{exit: 1, takes: time.Second} },
			ran:    true, key: "k-hello", phase: wfv1.PhaseFailed},
		{name: "a ConfigMap without Argo's cache label is refused", memoize: memoBlock, behave: computing,
			entries: nil, key: "", phase: wfv1.PhaseError, message: "workflows.argoproj.io/configmap-type"},
		{name: "invalid key", memoize: strings.Replace(memoBlock, "k-{{", "k_{{", 1), entries: map[string]string{}, behave: computing,
			phase: wfv1.PhaseError, message: `invalid memoize key "k_hello"`},
		{name: "invalid maxAge", memoize: strings.Replace(memoBlock, "maxAge: 1h", `maxAge: "{{inputs.parameters.age}}"`, 1),
			entries: map[string]string{}, behave: computing, phase: wfv1.PhaseError, message: `invalid memoize maxAge "1x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := memoWF(tc.memoize)
			if strings.Contains(tc.name, "maxAge") {
				text = strings.Replace(text, "value: 1h}", "value: 1x}", 1)
			}
			s, m := memoSim(t, text, tc.entries, tc.behave)
			if strings.Contains(tc.name, "label") {
				ns := s.wf.Metadata.Namespace
				m.cms[ns+"/memo-cache"] = &wfv1.ConfigMap{Metadata: wfv1.ObjectMeta{Name: "memo-cache", Namespace: ns}, Data: map[string]string{}}
			}
			s.run()
			a := s.node("wf[0].a")
			if a.Phase != tc.phase || !strings.Contains(a.Message, tc.message) {
				t.Fatalf("node a: %s %q, want %s with %q\n%s", a.Phase, a.Message, tc.phase, tc.message, s.dump())
			}
			if ran := strings.Contains(launchedCommands(s), "wf[0].a"); ran != tc.ran {
				t.Fatalf("memoized step ran: %v, want %v (launched %s)", ran, tc.ran, launchedCommands(s))
			}
			if tc.key != "" {
				want := wfv1.MemoizationStatus{Hit: tc.hit, Key: tc.key, CacheName: "memo-cache"}
				if a.MemoizationStatus == nil || *a.MemoizationStatus != want {
					t.Fatalf("memoizationStatus %+v, want %+v", a.MemoizationStatus, want)
				}
			}
			if tc.echo != "" {
				b := s.node("wf[1].b")
				if b.Inputs == nil || len(b.Inputs.Parameters) != 1 || string(*b.Inputs.Parameters[0].Value) != tc.echo {
					t.Fatalf("b's input %+v, want %q", b.Inputs, tc.echo)
				}
			}
			var saves []MemoWrite
			for _, w := range m.writes {
				if !w.Hit {
					saves = append(saves, w)
				}
			}
			if !tc.saved {
				if len(saves) != 0 {
					t.Fatalf("cache writes %+v, want none", saves)
				}
				return
			}
			if len(saves) != 1 || saves[0].Key != tc.key || saves[0].Cache != "memo-cache" || saves[0].NodeID != a.ID ||
				saves[0].Outputs == nil || saves[0].Outputs.Result == nil || *saves[0].Outputs.Result != "stdout-computed" {
				t.Fatalf("cache writes %+v, want one of node a's outputs under %s", saves, tc.key)
			}
			e, err := ParseMemoEntry(m.cms[s.wf.Metadata.Namespace+"/memo-cache"].Data[tc.key])
			if err != nil || e.NodeID != a.ID || len(e.Outputs.Parameters) != 1 || string(*e.Outputs.Parameters[0].Value) != "computed" {
				t.Fatalf("stored entry %+v (%v)", e, err)
			}
		})
	}
}

// A hit records the time of the hit in the entry, as Argo does.
func TestMemoizeHitIsRecorded(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, m := memoSim(t, memoWF(memoBlock), map[string]string{"k-hello": entryJSON(start.Add(-time.Minute), "cached", "r")}, computing)
	s.run()
	if len(m.writes) != 1 || !m.writes[0].Hit || m.writes[0].Key != "k-hello" {
		t.Fatalf("writes %+v, want one hit of k-hello", m.writes)
	}
	e, err := ParseMemoEntry(m.cms[s.wf.Metadata.Namespace+"/memo-cache"].Data["k-hello"])
	if err != nil || !e.LastHitTimestamp.Equal(start) || !e.CreationTimestamp.Equal(start.Add(-time.Minute)) {
		t.Fatalf("entry after the hit %+v (%v)", e, err)
	}
}

// A second run with the first run's cache does not run the step and
// reads the same outputs.
func TestMemoizeSecondRunHits(t *testing.T) {
	s1, m := memoSim(t, memoWF(memoBlock), map[string]string{}, computing)
	s1.run()
	s2 := newSim(t, memoWF(memoBlock), computing)
	m.Resolver = s2.res
	s2.res, s2.onPlan = m, m.apply(t)
	s2.now = s2.now.Add(10 * time.Minute)
	s2.run()
	if got := launchedCommands(s2); got != "wf[1].b" {
		t.Fatalf("second run launched %s, want only wf[1].b", got)
	}
	b1, b2 := s1.node("wf[1].b"), s2.node("wf[1].b")
	if *b1.Inputs.Parameters[0].Value != *b2.Inputs.Parameters[0].Value {
		t.Fatalf("outputs differ: %s then %s", *b1.Inputs.Parameters[0].Value, *b2.Inputs.Parameters[0].Value)
	}
}

// Argo's TestStepLevelMemoize: two steps of one workflow call a
// memoized steps template with the same key; the second is a hit even
// though the first saved its outputs in the same reconcile call.
func TestMemoizeStepsTemplateWithinOneWorkflow(t *testing.T) {
	text := header + `  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: hello1, template: memostep, arguments: {parameters: [{name: message, value: hello1}]}}
    - - {name: hello2a, template: memostep, arguments: {parameters: [{name: message, value: hello1}]}}
  - name: memostep
    inputs: {parameters: [{name: message}]}
    memoize:
      key: "{{inputs.parameters.message}}"
      maxAge: 10s
      cache: {configMap: {name: my-config-memo-step}}
    steps:
    - - {name: cache, template: say, arguments: {parameters: [{name: message, value: "{{inputs.parameters.message}}"}]}}
    outputs:
      parameters: [{name: output, valueFrom: {parameter: "{{steps.cache.outputs.result}}"}}]
  - name: say
    inputs: {parameters: [{name: message}]}
    container: {image: x, command: [echo, "{{inputs.parameters.message}}"]}
`
	s, _ := memoSim(t, text, nil, func(l Launch) outcome { return outcome{takes: time.Second, stdout: "said"} })
	if wf := s.run(); wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if got := launchedCommands(s); got != "wf[0].hello1[0].cache" {
		t.Fatalf("launched %s, want the first call's step only", got)
	}
	h := s.node("wf[1].hello2a")
	if h.MemoizationStatus == nil || !h.MemoizationStatus.Hit || h.Phase != wfv1.PhaseSucceeded ||
		h.Outputs == nil || len(h.Outputs.Parameters) != 1 || *h.Outputs.Parameters[0].Value != "said" || len(h.Children) != 0 {
		t.Fatalf("hello2a: %+v", h)
	}
}

// A memoized template with a retryStrategy: a hit makes no attempt.
func TestMemoizeRetryTemplateHit(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	text := strings.Replace(memoWF(memoBlock), "    outputs:\n      parameters: [{name: out", "    retryStrategy: {limit: 2}\n    outputs:\n      parameters: [{name: out", 1)
	s, _ := memoSim(t, text, map[string]string{"k-hello": entryJSON(start, "cached", "r")}, computing)
	s.run()
	a := s.node("wf[0].a")
	if a.Phase != wfv1.PhaseSucceeded || a.MemoizationStatus == nil || !a.MemoizationStatus.Hit || len(a.Children) != 0 {
		t.Fatalf("node a %+v\n%s", a, s.dump())
	}
	if got := launchedCommands(s); got != "wf[1].b" {
		t.Fatalf("launched %s", got)
	}
}

func TestApplyMemoWrites(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res := func(s string) *wfv1.Outputs { return &wfv1.Outputs{Result: &s} }
	save := func(key string) MemoWrite {
		return MemoWrite{Namespace: "ns", Cache: "c", Key: key, NodeID: "n-" + key, Outputs: res(key)}
	}
	// A new cache is made with Argo's label.
	cm, evicted, err := ApplyMemoWrites(nil, "ns", "c", []MemoWrite{save("a")}, t0, MemoBounds{MaxEntries: 2, MaxBytes: 1 << 20})
	if err != nil || len(evicted) != 0 || cm.Metadata.Labels[LabelConfigMapType] != LabelValueCache || cm.Metadata.Name != "c" || cm.Metadata.Namespace != "ns" {
		t.Fatalf("new cache %+v %v %v", cm, evicted, err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(cm.Data["a"]), &raw); err != nil || raw["nodeID"] != "n-a" || raw["creationTimestamp"] != "2026-01-01T00:00:00Z" || raw["lastHitTimestamp"] != "2026-01-01T00:00:00Z" {
		t.Fatalf("entry as Argo writes it: %s (%v)", cm.Data["a"], err)
	}
	b := MemoBounds{MaxEntries: 2, MaxBytes: 1 << 20}
	cm, _, _ = ApplyMemoWrites(cm, "ns", "c", []MemoWrite{save("b")}, t0.Add(time.Second), b)
	// a is hit later than b: b is the least recently used.
	cm, _, _ = ApplyMemoWrites(cm, "ns", "c", []MemoWrite{{Namespace: "ns", Cache: "c", Key: "a", Hit: true}}, t0.Add(2*time.Second), b)
	cm, evicted, err = ApplyMemoWrites(cm, "ns", "c", []MemoWrite{save("c")}, t0.Add(3*time.Second), b)
	if err != nil || len(evicted) != 1 || evicted[0] != "b" || len(cm.Data) != 2 || cm.Data["a"] == "" || cm.Data["c"] == "" {
		t.Fatalf("after a third entry: evicted %v, keys %v (%v)", evicted, cm.Data, err)
	}
	// A byte cap evicts too.
	_, evicted, _ = ApplyMemoWrites(cm, "ns", "c", []MemoWrite{save("d")}, t0.Add(4*time.Second), MemoBounds{MaxEntries: 10, MaxBytes: len(cm.Data["a"]) + 50})
	if len(evicted) != 2 {
		t.Fatalf("byte cap evicted %v, want the two older entries", evicted)
	}
	// A hit of a removed entry changes nothing.
	cm2, _, err := ApplyMemoWrites(cm, "ns", "c", []MemoWrite{{Namespace: "ns", Cache: "c", Key: "gone", Hit: true}}, t0, b)
	if err != nil || len(cm2.Data) != 2 {
		t.Fatalf("hit of a removed entry: %v %v", cm2.Data, err)
	}
	// A ConfigMap that is not a cache is never written.
	plain := &wfv1.ConfigMap{Metadata: wfv1.ObjectMeta{Name: "c", Namespace: "ns"}, Data: map[string]string{"limit": "1"}}
	if _, _, err := ApplyMemoWrites(plain, "ns", "c", []MemoWrite{save("x")}, t0, b); err == nil || !strings.Contains(err.Error(), LabelConfigMapType) {
		t.Fatalf("plain ConfigMap: %v", err)
	}
}

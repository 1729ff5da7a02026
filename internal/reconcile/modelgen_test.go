package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"pgregory.net/rapid"
)

// This file generates the small random workflows of the model test
// (model_test.go): steps and DAGs, retries, hooks, exit handlers, `when`,
// `continueOn`, loops, timeouts and locks. Along with the YAML it works
// out the bounds the spec implies: how many nodes the workflow may make
// and how much simulated time it may take.

// Limits of the generator; the bounds below rely on them.
const (
	genMaxItems   = 3               // withItems and a `gen` step's list
	genMaxTakes   = 5 * time.Second // a step's run time
	genMaxBackoff = 12 * time.Second
)

// genTmpl is a template the generated calls may use.
type genTmpl struct {
	name string
	// nodes is the most nodes one call of the template makes.
	nodes int
	// gen: its step prints a JSON list, for withParam.
	gen bool
	// retry: it has a retryStrategy.
	retry bool
}

// genWorkflow is one generated workflow.
type genWorkflow struct {
	yaml string
	// maxNodes is the most nodes the spec allows; maxTime the longest
	// simulated run it allows.
	maxNodes int
	maxTime  time.Duration
	// control is a Stop or Terminate sent at controlAfter (0: none).
	control      EventKind
	controlAfter time.Duration
}

type generator struct {
	rt    *rapid.T
	tmpls []genTmpl // leaves first, then composites
	// semaphore: some template uses the ConfigMap semaphore.
	semaphore bool
	// stepHooks: some step or task has hooks or an onExit.
	stepHooks bool
	// lastLimit is the limit of the retryStrategy retry last drew.
	lastLimit int
}

func (g *generator) intn(lo, hi int, label string) int {
	return rapid.IntRange(lo, hi).Draw(g.rt, label)
}

// chance is true pct times in 100; it shrinks to false, so a shrunk
// workflow keeps only the features its failure needs.
func (g *generator) chance(pct int, label string) bool {
	return rapid.IntRange(0, 99).Draw(g.rt, label) >= 100-pct
}

// genWorkflowOf draws a workflow.
func genWorkflowOf(rt *rapid.T) genWorkflow {
	g := &generator{rt: rt}
	var body strings.Builder
	// Leaves: `ok` prints ok, `gen` a list; l0.. may retry, time out and lock.
	body.WriteString("  - {name: ok, container: {image: x, command: [echo, ok]}}\n")
	body.WriteString("  - {name: gen, container: {image: x, command: [gen]}}\n")
	g.tmpls = append(g.tmpls, genTmpl{name: "ok", nodes: 1}, genTmpl{name: "gen", nodes: 1, gen: true})
	if g.chance(20, "pause") {
		// A suspend node is an executable node for progress; its duration
		// stays under a step's share of the time bound.
		fmt.Fprintf(&body, "  - {name: pause, suspend: {duration: \"%ds\"}}\n", g.intn(1, 10, "pause-duration"))
		g.tmpls = append(g.tmpls, genTmpl{name: "pause", nodes: 1})
	}
	for i := range g.intn(1, 3, "leaves") {
		name := fmt.Sprintf("l%d", i)
		fmt.Fprintf(&body, "  - name: %s\n", name)
		nodes, retried := 1, false
		if r := g.retry(name); r != "" {
			body.WriteString(r)
			nodes = 1 + (g.lastLimit + 1)
			retried = true
		}
		if g.chance(20, name+"-deadline") {
			if g.chance(50, name+"-timeout") {
				fmt.Fprintf(&body, "    timeout: \"%ds\"\n", g.intn(1, 6, name+"-to"))
			} else {
				fmt.Fprintf(&body, "    activeDeadlineSeconds: %d\n", g.intn(1, 6, name+"-ads"))
			}
		}
		body.WriteString(g.lock(name, []string{"mutex m0", "mutex m1", "semaphore"}))
		body.WriteString("    container: {image: x, command: [work]}\n")
		g.tmpls = append(g.tmpls, genTmpl{name: name, nodes: nodes, retry: retried})
	}
	leaves := len(g.tmpls)
	for i := range g.intn(0, 2, "subs") {
		name := fmt.Sprintf("s%d", i)
		t, text := g.composite(name, g.tmpls[:leaves], true)
		body.WriteString(text)
		g.tmpls = append(g.tmpls, t)
	}
	main, text := g.composite("main", g.tmpls, false)
	body.WriteString(text)
	total := main.nodes

	var head strings.Builder
	if g.semaphore {
		head.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {slots: \"1\"}\n---\n")
	}
	head.WriteString(header + "  entrypoint: main\n")
	var w genWorkflow
	hasExit := g.chance(25, "wf-onexit")
	hooksKey := false // spec.hooks is written
	if hasExit {
		t := g.pick(g.tmpls, "wf-onexit-tmpl")
		total += t.nodes
		if g.chance(50, "wf-onexit-as-hook") {
			fmt.Fprintf(&head, "  onExit: %s\n", t.name)
		} else {
			fmt.Fprintf(&head, "  hooks:\n    exit: {template: %s}\n", t.name)
			hooksKey = true
		}
	}
	wfHooks := g.chance(20, "wf-hooks")
	if wfHooks {
		if !hooksKey {
			head.WriteString("  hooks:\n")
		}
		for _, h := range []string{"Running", "Succeeded", "Failed"} {
			if g.chance(50, "wf-hook-"+h) {
				t := g.pick(g.tmpls[:leaves], "wf-hook-tmpl-"+h)
				total += t.nodes
				fmt.Fprintf(&head, "    %s: {template: %s, expression: 'workflow.status == \"%s\"'}\n", strings.ToLower(h), t.name, h)
			}
		}
	}
	// Stops are left out where a pending bug would hang the run.
	stopOK := !wfHooks || modelPending["hooks-shutdown"] == ""
	terminateOK := (!g.stepHooks || modelPending["hooks-shutdown"] == "") &&
		(!hasExit || modelPending["terminate-exit-handler"] == "")
	if stopOK && g.chance(15, "control") {
		w.control = Stop
		if terminateOK && g.chance(50, "terminate") {
			w.control = Terminate
		}
		w.controlAfter = time.Duration(g.intn(0, 20, "control-after")) * time.Second
	}
	if stopOK && g.chance(15, "wf-deadline") {
		fmt.Fprintf(&head, "  activeDeadlineSeconds: %d\n", g.intn(2, 30, "wf-ads"))
	}
	if (modelPending["template-defaults"] == "") && g.chance(10, "wf-template-defaults") {
		// Argo merges these into every template but keeps each one's type.
		head.WriteString("  templateDefaults: {container: {image: y}}\n")
	}
	if g.chance(15, "wf-parallelism") {
		fmt.Fprintf(&head, "  parallelism: %d\n", g.intn(1, 3, "wf-par"))
	}
	if g.chance(15, "wf-lock") {
		head.WriteString("  synchronization: {mutexes: [{name: w}]}\n")
	}
	w.yaml, w.maxNodes = head.String()+"  templates:\n"+body.String(), total
	// Each node runs at most one step, after at most one backoff; the
	// rest is slack for timers that fire on the way.
	w.maxTime = time.Duration(total)*(genMaxTakes+genMaxBackoff) + time.Minute
	return w
}

func (g *generator) pick(from []genTmpl, label string) genTmpl {
	return from[g.intn(0, len(from)-1, label)]
}

// retry draws a retryStrategy (or none) and records its limit.
func (g *generator) retry(name string) string {
	if !g.chance(40, name+"-retry") {
		return ""
	}
	g.lastLimit = g.intn(0, 3, name+"-limit")
	var b strings.Builder
	fmt.Fprintf(&b, "    retryStrategy:\n      limit: %d\n", g.lastLimit)
	policies := []string{"", "Always", "OnFailure", "OnError", "OnTransientError"}
	if p := policies[g.intn(0, len(policies)-1, name+"-policy")]; p != "" {
		fmt.Fprintf(&b, "      retryPolicy: %s\n", p)
	}
	if g.chance(40, name+"-backoff") {
		fmt.Fprintf(&b, "      backoff: {duration: \"%ds\", factor: %d", g.intn(1, 3, name+"-bd"), g.intn(1, 2, name+"-bf"))
		if g.chance(30, name+"-bmax") {
			fmt.Fprintf(&b, ", maxDuration: \"%ds\"", g.intn(1, 20, name+"-bmaxd"))
		}
		b.WriteString("}\n")
	}
	if g.chance(15, name+"-rexpr") {
		b.WriteString("      expression: 'lastRetry.status == \"Failed\"'\n")
	}
	return b.String()
}

// lock draws a template's synchronization (or none) from choices.
func (g *generator) lock(name string, choices []string) string {
	if !g.chance(20, name+"-lock") {
		return ""
	}
	c := choices[g.intn(0, len(choices)-1, name+"-lockkind")]
	if c == "semaphore" {
		g.semaphore = true
		return "    synchronization: {semaphore: {configMapKeyRef: {name: limits, key: slots}}}\n"
	}
	return fmt.Sprintf("    synchronization: {mutexes: [{name: %s}]}\n", strings.TrimPrefix(c, "mutex "))
}

// composite draws a steps or DAG template calling from callable.
func (g *generator) composite(name string, callable []genTmpl, sub bool) (genTmpl, string) {
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n", name)
	limit := -1
	if sub {
		if r := g.retry(name); r != "" {
			b.WriteString(r)
			limit = g.lastLimit
		}
		if g.chance(20, name+"-timeout") {
			fmt.Fprintf(&b, "    timeout: \"%ds\"\n", g.intn(1, 10, name+"-to"))
		}
		b.WriteString(g.lock(name, []string{"mutex s0"}))
	}
	if g.chance(15, name+"-parallelism") {
		fmt.Fprintf(&b, "    parallelism: %d\n", g.intn(1, 2, name+"-par"))
	}
	nodes := 1
	if g.chance(50, name+"-dag") {
		b.WriteString("    dag:\n")
		if g.chance(20, name+"-failfast") {
			b.WriteString("      failFast: false\n")
		}
		b.WriteString("      tasks:\n")
		var tasks []genCall
		for i := range g.intn(1, 5, name+"-tasks") {
			c := genCall{name: fmt.Sprintf("t%d", i)}
			var deps, depends []string
			for j := range i {
				if g.chance(35, fmt.Sprintf("%s-dep%d-%d", name, i, j)) {
					deps = append(deps, tasks[j].name)
					depends = append(depends, g.dependsOn(tasks[j].name, fmt.Sprintf("%s-depk%d-%d", name, i, j)))
				}
			}
			var prior []genCall
			for _, d := range deps {
				for _, t := range tasks {
					if t.name == d {
						prior = append(prior, t)
					}
				}
			}
			c = g.call(name+"-"+c.name, c.name, "tasks", prior, callable)
			b.WriteString("      - name: " + c.name + "\n")
			if len(deps) > 0 {
				if g.chance(50, name+"-"+c.name+"-depends") {
					fmt.Fprintf(&b, "        depends: %q\n", strings.Join(depends, " && "))
				} else {
					fmt.Fprintf(&b, "        dependencies: [%s]\n", strings.Join(deps, ", "))
				}
			}
			b.WriteString(c.fields)
			nodes += c.nodes
			tasks = append(tasks, c)
		}
	} else {
		b.WriteString("    steps:\n")
		var prior []genCall
		for gi := range g.intn(1, 3, name+"-groups") {
			nodes++ // the StepGroup
			var group []genCall
			for si := range g.intn(1, 3, fmt.Sprintf("%s-g%d", name, gi)) {
				c := g.call(fmt.Sprintf("%s-g%d-s%d", name, gi, si), fmt.Sprintf("s%d%d", gi, si), "steps", prior, callable)
				lead := "      "
				if si == 0 {
					lead = "    - "
				}
				b.WriteString(lead + "- name: " + c.name + "\n")
				b.WriteString(c.fields)
				nodes += c.nodes
				group = append(group, c)
			}
			prior = append(prior, group...)
		}
	}
	if limit >= 0 {
		nodes = 1 + (limit+1)*nodes
	}
	return genTmpl{name: name, nodes: nodes, retry: limit >= 0}, b.String()
}

// dependsOn draws one operand of a `depends`.
func (g *generator) dependsOn(task, label string) string {
	switch g.intn(0, 3, label) {
	case 1:
		return task + ".Failed"
	case 2:
		return "(" + task + ".Succeeded || " + task + ".Failed)"
	case 3:
		return task + ".Succeeded"
	}
	return task
}

// genCall is a generated step or task.
type genCall struct {
	name   string
	fields string // its YAML fields after the name, indented 8
	nodes  int
	// plain: not a loop, so its status and outputs can be read.
	plain bool
	gen   bool
}

// call draws a step or task named name that may read the results of
// prior (by kind "steps" or "tasks").
func (g *generator) call(label, name, kind string, prior []genCall, callable []genTmpl) genCall {
	var b strings.Builder
	t := g.pick(callable, label+"-tmpl")
	fmt.Fprintf(&b, "        template: %s\n", t.name)
	var readable, producers []genCall
	for _, p := range prior {
		if p.plain {
			readable = append(readable, p)
			if p.gen {
				producers = append(producers, p)
			}
		}
	}
	if g.chance(25, label+"-when") {
		switch k := g.intn(0, 2, label+"-whenkind"); {
		case k == 0 || len(readable) == 0:
			fmt.Fprintf(&b, "        when: \"%d == 1\"\n", g.intn(0, 1, label+"-whenlit"))
		case k == 1:
			p := readable[g.intn(0, len(readable)-1, label+"-whenref")]
			fmt.Fprintf(&b, "        when: \"{{%s.%s.status}} == Succeeded\"\n", kind, p.name)
		default:
			p := readable[g.intn(0, len(readable)-1, label+"-whenref")]
			fmt.Fprintf(&b, "        when: \"{{%s.%s.outputs.result}} == ok\"\n", kind, p.name)
		}
	}
	if g.chance(20, label+"-continue") {
		b.WriteString("        continueOn: {failed: true}\n")
	}
	per := t.nodes
	if (!t.retry || modelPending["retry-hooks"] == "") && g.chance(20, label+"-hooks") {
		g.stepHooks = true
		switch g.intn(0, 2, label+"-hookkind") {
		case 0:
			h := g.pick(callable, label+"-onexit")
			per += h.nodes
			fmt.Fprintf(&b, "        onExit: %s\n", h.name)
		case 1:
			h := g.pick(callable, label+"-exithook")
			per += h.nodes
			fmt.Fprintf(&b, "        hooks:\n          exit: {template: %s}\n", h.name)
		default:
			b.WriteString("        hooks:\n")
			for _, st := range []string{"Running", "Succeeded", "Failed"} {
				if g.chance(60, label+"-hook-"+st) {
					h := g.pick(callable, label+"-hooktmpl-"+st)
					per += h.nodes
					fmt.Fprintf(&b, "          %s: {template: %s, expression: '%s.%s.status == \"%s\"'}\n",
						strings.ToLower(st), h.name, kind, name, st)
				}
			}
		}
	}
	c := genCall{name: name, nodes: per, plain: true, gen: t.gen}
	switch k := g.intn(0, 5, label+"-loop"); {
	case k == 0:
		n := g.intn(0, genMaxItems, label+"-items")
		items := make([]string, n)
		for i := range items {
			items[i] = strconv.Itoa(i)
		}
		fmt.Fprintf(&b, "        withItems: [%s]\n", strings.Join(items, ", "))
		c.plain = false
	case k == 1 && len(producers) > 0 && (kind == "steps" || modelPending["dag-withparam-error"] == ""):
		p := producers[g.intn(0, len(producers)-1, label+"-param")]
		fmt.Fprintf(&b, "        withParam: \"{{%s.%s.outputs.result}}\"\n", kind, p.name)
		c.plain = false
	}
	if !c.plain {
		// Every item runs the call; a DAG adds its TaskGroup node.
		c.nodes = genMaxItems * per
		if kind == "tasks" {
			c.nodes++
		}
	}
	c.fields = b.String()
	return c
}

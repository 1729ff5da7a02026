package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// cannotStart is how semaflow reports a step whose program does not exist,
// which is what an argosay verb (`args: [exit, "1"]`) or an image's own
// binary (cowsay) becomes on a machine without that image.
var cannotStart = regexp.MustCompile(`executable "[^"]*" not found|: not found`)

// runWorkflows runs a test's manifests on a fresh server: templates applied
// first, then each workflow in the order the test submits them, waited for
// one by one, each checked.
func runWorkflows(ctx context.Context, bin, dir string, e expectation, rs []resource) (outcome, detail string, accident bool, names []string) {
	srv, err := startServer(bin, dir)
	if err != nil {
		return "fail", "harness: " + err.Error(), false, nil
	}
	defer srv.stop()
	var wfs []resource
	for i, x := range rs {
		p := filepath.Join(dir, fmt.Sprintf("%02d-%s.yaml", i, x.kind))
		if err := os.WriteFile(p, []byte(x.manifest()), 0o644); err != nil {
			return "fail", "harness: " + err.Error(), false, nil
		}
		if x.kind == "Workflow" {
			wfs = append(wfs, resource{kind: x.kind, origin: p, text: x.manifest()})
			continue
		}
		if out, err := srv.cli(ctx, "apply", "-f", p); err != nil {
			return "fail", fmt.Sprintf("apply %s refused: %s", x.kind, oneLine(out)), false, nil
		}
	}
	if len(wfs) == 0 {
		return "fail", "harness: the test submits no Workflow", false, nil
	}
	for i, x := range wfs {
		out, err := srv.cli(ctx, "submit", x.origin)
		if err != nil {
			return "fail", "submit refused: " + oneLine(out), false, names
		}
		name, ok := strings.CutSuffix(strings.TrimSpace(lastLine(out)), " submitted")
		if !ok {
			return "fail", "harness: cannot read the name from submit: " + oneLine(out), false, names
		}
		names = append(names, name)
		ns := namespaceOf(x.text)
		w, hung, err := waitFor(ctx, srv, ns, name, e)
		if err != nil {
			return "fail", "harness: " + err.Error(), false, names
		}
		if w != nil {
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("wf-%d.json", i)), w.raw, 0o644)
		}
		if w != nil && cannotStartAny(w) {
			accident = true
		}
		if hung {
			return "hang", fmt.Sprintf("still %s after %s (%s); terminated", w.Status.Phase, e.timeout, oneLine(w.Status.Message)), accident, names
		}
		if d, ok := strings.CutPrefix(e.action, "after "); ok {
			pause, err := time.ParseDuration(d)
			if err != nil {
				return "fail", "harness: action: " + err.Error(), accident, names
			}
			time.Sleep(pause)
		}
		for _, c := range e.checks {
			if c == "deleted" {
				if _, err := srv.get(ns, name); !errors.Is(err, errNotFound) {
					return "fail", "workflow not deleted (ttlStrategy)", accident, names
				}
				continue
			}
			logs := func() (string, error) { return srv.cli(ctx, "logs", name, "-n", ns) }
			if ok, err := evalCheck(c, w, logs); !ok {
				msg := ""
				if w.Status.Message != "" && !strings.HasPrefix(c, "message") {
					msg = " [workflow " + w.Status.Phase + ": " + oneLine(w.Status.Message) + "]"
				}
				return "fail", c + ": " + err.Error() + msg, accident, names
			}
		}
	}
	return "pass", "", accident, names
}

// waitFor polls the workflow until it ends or the test's timeout passes; on
// timeout it terminates the workflow and reports it hung. "terminate-when
// CHECK" terminates it once CHECK holds, as Argo's test does mid-run.
func waitFor(ctx context.Context, srv *server, ns, name string, e expectation) (*workflow, bool, error) {
	cond, terminate := strings.CutPrefix(e.action, "terminate-when ")
	deadline := time.Now().Add(e.timeout)
	var last *workflow
	for {
		w, err := srv.get(ns, name)
		switch {
		case errors.Is(err, errNotFound) && last != nil && last.done():
			return last, false, nil // deleted after it ended (ttlStrategy)
		case err != nil:
			return last, false, err
		}
		last = w
		if w.done() {
			return w, false, nil
		}
		if terminate {
			if ok, _ := evalCheck(cond, w, nil); ok {
				if out, err := srv.cli(ctx, "terminate", name, "-n", ns); err != nil {
					return w, false, fmt.Errorf("terminate: %s", oneLine(out))
				}
				terminate = false
			}
		}
		if time.Now().After(deadline) {
			_, _ = srv.cli(ctx, "terminate", name, "-n", ns)
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
				if w2, err := srv.get(ns, name); err == nil {
					last = w2
					if w2.done() {
						break
					}
				}
			}
			return last, true, nil
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func cannotStartAny(w *workflow) bool {
	for _, n := range w.Status.Nodes {
		if cannotStart.MatchString(n.Message) {
			return true
		}
	}
	return false
}

func namespaceOf(manifest string) string {
	var m struct {
		Metadata struct {
			Namespace string `yaml:"namespace"`
		} `yaml:"metadata"`
	}
	if yaml.Unmarshal([]byte(manifest), &m) == nil && m.Metadata.Namespace != "" {
		return m.Metadata.Namespace
	}
	return "default"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// explainWF is a one-step workflow with a priority and a sync block at
// workflow or template level.
func explainWF(name string, prio int, wfSync, tmplSync, sleep string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  priority: %d
%s  templates:
  - name: main
%s    container: {image: alpine, command: [sleep, "%s"]}
`, name, prio, wfSync, tmplSync, sleep)
}

// A mutex of limit 1 held, two waiters of different priority behind it,
// an all-or-nothing request for the mutex and a semaphore that, once it
// has waited 30 s, reserves the semaphore's free permit against a later
// waiter, and a pendingTimeout that failed: explain says each in
// sentences and in JSON, and names the workflow in its errors.
func TestExplainEndToEnd(t *testing.T) {
	s := startServer(t, "--db", t.TempDir()+"/s.db")
	cli := func(args ...string) string {
		t.Helper()
		out, code := run(t, append(args, "--server", s.url)...)
		if code != 0 {
			t.Fatalf("semaflow %v: exit %d: %s", args, code, out)
		}
		return out
	}
	cli("apply", "-f", writeFile(t, "limits.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {gpu: \"1\"}\n"))
	db := "  synchronization: {mutexes: [{name: db}]}\n"
	cli("submit", writeFile(t, "holder.yaml", explainWF("holder", 0, db, "", "120")))
	waitPhase(t, s.url, "holder", "Running", 10*time.Second)
	cli("submit", writeFile(t, "low.yaml", explainWF("low", 0, db, "", "1")))
	time.Sleep(1100 * time.Millisecond) // creation times are in seconds
	cli("submit", writeFile(t, "high.yaml", explainWF("high", 5, db, "", "1")))
	cli("submit", writeFile(t, "both.yaml", explainWF("both", 0,
		"  synchronization:\n    mutexes: [{name: db}]\n    semaphores: [{configMapKeyRef: {name: limits, key: gpu}}]\n", "", "1")))
	cli("submit", writeFile(t, "impatient.yaml", explainWF("impatient", 0, "",
		"    synchronization: {mutexes: [{name: db}]}\n    pendingTimeout: 1s\n", "1")))
	waitPhase(t, s.url, "impatient", "Failed", 15*time.Second)

	hhmmss := `\d\d:\d\d:\d\d`
	check := func(name string, want ...string) {
		t.Helper()
		got := strings.Split(strings.TrimSpace(cli("explain", name)), "\n")
		if len(got) != len(want) {
			t.Fatalf("explain %s: %d lines, want %d:\n%s", name, len(got), len(want), strings.Join(got, "\n"))
		}
		for i, w := range want {
			if !regexp.MustCompile("^" + w + "$").MatchString(got[i]) {
				t.Errorf("explain %s line %d:\n got %q\nwant %q", name, i+1, got[i], w)
			}
		}
	}
	held := `  Held by workflow default/holder, token 1, since ` + hhmmss + ` \(\d+s ago\), release time unknown \(no history yet\)\.`
	check("low",
		`Workflow default/low is Pending\.`,
		`default/low \(priority 0\) has waited \d+s for 1 lock\.`,
		`default/Mutex/db: position 2 of 3; 1 of 1 permit held\.`,
		held,
		`  Ahead of it: default/high, for its higher priority \(5 > 0\)\.`,
		`  default/Mutex/db has no free permit: 1 of 1 held\.`,
		`Nothing but the limit of default/Mutex/db holds it back\.`,
		`ETA on default/Mutex/db: start time unknown \(.+\)\.`)
	check("holder",
		`Workflow default/holder is Running\.`,
		`Workflow default/holder holds default/Mutex/db, token 1, since `+hhmmss+` \(\d+s ago\), release time unknown \(no history yet\)\.`,
		`It waits for no lock\.`)
	check("impatient",
		`Workflow default/impatient is Failed\.`,
		`Workflow default/impatient waited for default/Mutex/db and failed: .*`,
		`Node impatient of default/impatient waited for default/Mutex/db and failed: Timed out after 1s \(pendingTimeout\) waiting for default/Mutex/db lock`)

	// Past reserveAfter (30 s) "both" reserves the free gpu permit.
	time.Sleep(31 * time.Second)
	cli("submit", writeFile(t, "later.yaml", explainWF("later", 0, "",
		"    synchronization: {semaphores: [{configMapKeyRef: {name: limits, key: gpu}}]}\n", "1")))
	time.Sleep(500 * time.Millisecond)
	check("later",
		`Workflow default/later is Running\.`,
		`default/later/later \(priority 0\) has waited \d+s for 1 lock\.`,
		`default/ConfigMap/limits/gpu: position 2 of 2; 0 of 1 permit held\.`,
		`  Nobody holds it\.`,
		`  Ahead of it: default/both, for its same priority 0, created earlier \(`+hhmmss+` < `+hhmmss+`\); it reserves its locks\.`,
		`  A permit of default/ConfigMap/limits/gpu is reserved for default/both, which needs default/ConfigMap/limits/gpu\+default/Mutex/db, since `+hhmmss+`\.`,
		`It cannot start before default/both is granted\.`,
		`ETA on default/ConfigMap/limits/gpu: start time unknown \(.+\)\.`)

	var x struct {
		Workflow string `json:"workflow"`
		Waiting  []struct {
			Holder string `json:"holder"`
			Locks  []struct {
				Lock     string `json:"lock"`
				Position int    `json:"position"`
				Length   int    `json:"length"`
				Reasons  []struct {
					Kind, By string
					ByLocks  []string
				} `json:"reasons"`
			} `json:"locks"`
			Grantable, LimitOnly bool
		} `json:"waiting"`
		Lines []string `json:"lines"`
	}
	if err := json.Unmarshal([]byte(cli("explain", "later", "later", "-o", "json")), &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Waiting) != 1 || len(x.Waiting[0].Locks) != 1 || x.Waiting[0].Holder != "default/later/later" {
		t.Fatalf("explain later later -o json: %+v", x)
	}
	l := x.Waiting[0].Locks[0]
	if l.Lock != "default/ConfigMap/limits/gpu" || l.Position != 2 || l.Length != 2 || len(l.Reasons) != 1 ||
		l.Reasons[0].Kind != "reserved" || l.Reasons[0].By != "default/both" || len(l.Reasons[0].ByLocks) != 2 ||
		x.Waiting[0].Grantable || x.Waiting[0].LimitOnly || len(x.Lines) == 0 {
		t.Errorf("explain later later -o json: %+v", x)
	}

	// Steps outlive a killed server by design: end them so none holds
	// the test's output open.
	cli("terminate", "holder", "low", "high", "both", "later")
	waitPhase(t, s.url, "holder", "Failed", 15*time.Second)
	defer s.stop(t)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "nothere"}, "explain default/nothere: "},
		{[]string{"explain", "low", "no-such-node"}, `workflow default/low has no node "no-such-node"`},
		{[]string{"explain", "../etc"}, `explain default/"../etc": workflow name`},
		{[]string{"explain", "low", "-n", "Bad_NS"}, "explain: namespace"},
		{[]string{"explain", "low", "-o", "yaml"}, `output "yaml"`},
	} {
		out, code := run(t, append(c.args, "--server", s.url)...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("semaflow %v: exit %d, %q; want an error with %q", c.args, code, out, c.want)
		}
	}
}

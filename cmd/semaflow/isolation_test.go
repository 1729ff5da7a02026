package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// apiCall sends a JSON request with a bearer token and returns the raw body.
func apiCall(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// awaitPhase polls a workflow until it has ended and returns its phase.
func awaitPhase(t *testing.T, url, token, ns, name string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		_, body := apiCall(t, "GET", url+"/api/v1/workflows/"+ns+"/"+name, token, "")
		var wf struct {
			Status struct{ Phase string } `json:"status"`
		}
		_ = json.Unmarshal([]byte(body), &wf)
		if p := wf.Status.Phase; p == "Succeeded" || p == "Failed" || p == "Error" {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("workflow %s/%s did not end", ns, name)
	return ""
}

func shellWorkflow(name, script string) string {
	return fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": %q},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`,
		name, script)
}

// A step of a shared server is untrusted code: whatever it tries, it sees
// neither the server's environment, nor its token file, nor its database,
// nor another workflow's files; as root it runs as an unprivileged user
// in its own PID namespace.
func TestServerStepsCannotReachSecrets(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("step isolation needs root")
	}
	const (
		envSecret    = "env-SECRET-4f1d2c"
		tokenSecret  = "admin-SECRET-9a8b7c6d5e"
		scopedToken  = "team-a-token-0123456789"
		cmSecret     = "hunter2-SECRET-77"
		victimSecret = "victim-SECRET-31337"
	)
	t.Setenv("SEMAFLOW_TEST_SECRET", envSecret)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte(tokenSecret+"\n"+scopedToken+" team-a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "server.db")
	s := startServer(t, "--db", db, "--auth-token-file", tokens)
	serverPid := s.cmd.Process.Pid

	cm := fmt.Sprintf(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "creds", "namespace": "team-b"}, "data": {"password": %q}}`, cmSecret)
	if code, body := apiCall(t, "POST", s.url+"/api/v1/configmaps/team-b", tokenSecret, cm); code != 200 {
		t.Fatalf("configmap: %d %s", code, body)
	}
	// The host's scratch directories are world-writable and every step is
	// the same user: the victim's files there must neither show to the
	// thief nor stay on the host.
	scratch := fmt.Sprintf("semaflow-victim-%d", os.Getpid())
	for _, d := range []string{"/dev/shm", "/var/tmp"} {
		t.Cleanup(func() { _ = os.Remove(d + "/" + scratch) })
	}
	victim := shellWorkflow("victim", "echo "+victimSecret+"; echo "+victimSecret+" > victim-file; echo "+victimSecret+" > /tmp/victim-tmp; "+
		"for d in /dev/shm /var/tmp; do (umask 077; echo "+victimSecret+" > $d/"+scratch+"); done")
	if code, body := apiCall(t, "POST", s.url+"/api/v1/workflows/team-b", tokenSecret, victim); code != 200 {
		t.Fatalf("create victim: %d %s", code, body)
	}
	if p := awaitPhase(t, s.url, tokenSecret, "team-b", "victim"); p != "Succeeded" {
		t.Fatalf("victim %s", p)
	}

	secrets := []string{envSecret, tokenSecret, scopedToken, cmSecret, victimSecret}
	greps := "-e " + strings.Join(secrets, " -e ")
	script := strings.Join([]string{
		`echo "step-uid=$(id -u)"`,
		`echo "ppid=$PPID"`,
		`cat /proc/$PPID/environ`,
		`cat /proc/1/environ`,
		fmt.Sprintf(`cat /proc/%d/environ`, serverPid),
		fmt.Sprintf(`cat /proc/%d/cmdline`, serverPid),
		fmt.Sprintf(`cat /proc/%d/root%s`, serverPid, tokens),
		fmt.Sprintf(`cat /proc/%d/root%s`, serverPid, db),
		"cat " + tokens,
		"cat " + db + " " + db + "-wal",
		`for f in /proc/[0-9]*/environ; do tr '\0' '\n' < $f; done`,
		`echo "procs: $(ls -d /proc/[0-9]* | tr '\n' ' ')"`,
		// grep -l prints names, not contents: the step's own log, being
		// written as grep reads it, cannot feed back on itself.
		fmt.Sprintf(`grep -rla %s %s %s.data 2>/dev/null | sed 's/^/LEAK /'`, greps, dir, db),
		fmt.Sprintf(`grep -rla %s /tmp /dev/shm /var/tmp 2>/dev/null | sed 's/^/LEAK /'`, greps),
		"true",
	}, " 2>&1; ")
	if code, body := apiCall(t, "POST", s.url+"/api/v1/workflows/team-a", scopedToken, shellWorkflow("thief", script)); code != 200 {
		t.Fatalf("create thief: %d %s", code, body)
	}
	if p := awaitPhase(t, s.url, scopedToken, "team-a", "thief"); p != "Succeeded" {
		t.Fatalf("thief %s", p)
	}
	_, log := apiCall(t, "GET", s.url+"/api/v1/workflows/team-a/thief/log", scopedToken, "")
	log = strings.ReplaceAll(log, `\n`, "\n")
	for _, secret := range secrets {
		if strings.Contains(log, secret) {
			t.Errorf("the step saw the secret %q:\n%s", secret, log)
		}
	}
	if strings.Contains(log, "LEAK ") {
		t.Errorf("the step found files holding secrets:\n%s", log)
	}
	m := regexp.MustCompile(`step-uid=(\d+)`).FindStringSubmatch(log)
	if m == nil || m[1] == "0" {
		t.Errorf("the step ran as uid %v, want an unprivileged user:\n%s", m, log)
	}
	// The shell, its subshell, ls and tr; a host has many more.
	if procs := regexp.MustCompile(`procs: ((/proc/\d+ ?)+)`).FindStringSubmatch(log); procs == nil || len(strings.Fields(procs[1])) > 8 {
		t.Errorf("the step sees processes beyond its own:\n%s", log)
	}
	for _, d := range []string{"/dev/shm", "/var/tmp"} {
		if _, err := os.Stat(d + "/" + scratch); err == nil {
			t.Errorf("the victim's file outlived its step in the host's %s", d)
		}
	}
	s.stop(t)
}

// --private-tmp=false lets a step's /tmp be the host's; by default (as
// root) a step writes its own.
func TestRunPrivateTmpFlag(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a private /tmp needs root")
	}
	for _, c := range []struct {
		flag   string
		onHost bool
	}{{"--private-tmp=true", false}, {"--private-tmp=false", true}} {
		host := filepath.Join("/tmp", fmt.Sprintf("semaflow-ptmp-%d-%t", os.Getpid(), c.onHost))
		t.Cleanup(func() { _ = os.Remove(host) })
		wf := writeFile(t, "tmp.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: tmp}\nspec:\n  entrypoint: main\n  templates:\n"+
			"  - {name: main, container: {image: x, command: [sh, -c, 'echo hi > "+host+"']}}\n")
		mustRun(t, 0, "run", "--plain", c.flag, wf)
		if _, err := os.Stat(host); (err == nil) != c.onHost {
			t.Errorf("run %s: the step's file on the host: %v, want %t", c.flag, err, c.onHost)
		}
	}
	for _, verb := range []string{"run", "server"} {
		if out := mustRun(t, 0, verb, "--help"); !strings.Contains(out, "--private-tmp") {
			t.Errorf("%s --help does not document --private-tmp:\n%s", verb, out)
		}
	}
}

// Tokens scoped to namespaces protect nothing if steps run unconfined:
// the server says so when it starts.
func TestServerWarnsScopedTokensWithoutIsolation(t *testing.T) {
	tokens := writeFile(t, "tokens", "admin-token-0123456789\nteam-a-token-0123456789 team-a\n")
	if err := os.Chmod(tokens, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"server", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "db"), "--auth-token-file", tokens}
	if os.Geteuid() == 0 {
		args = append(args, "--step-user", "") // isolation off, as without root
	}
	cmd := exec.Command(binary, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the server gave no warning about scoped tokens without step isolation")
			}
			if strings.Contains(line, "warning") && strings.Contains(line, "scoped") {
				return
			}
			t.Log(line)
		case <-timeout:
			t.Fatal("the server gave no warning about scoped tokens without step isolation")
		}
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// corpusSuspend is the corpus's workflow with a suspend step whose output
// the user supplies (intermediate-parameters.yaml): its step approval,
// the value that lets deploy-prod run, and that step.
const (
	corpusSuspendStep  = "approval"
	corpusSuppliedJSON = `{\"approve\":\"YES\"}`
	corpusGatedStep    = "deploy-prod"
)

// runCorpusResume runs a workflow that waits for a person as Argo's users
// do: submitted to a server, its suspend step given its output with
// `argo node set` (PUT .../set), then resumed; the step that the value
// lets through must run.
func runCorpusResume(files []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "corpus-resume-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	url, stop, err := startCorpusServer(ctx, tmp)
	if err != nil {
		return err
	}
	defer stop()
	var stderr strings.Builder
	submit := exec.CommandContext(ctx, binary, append([]string{"submit", "--server", url, "-o", "name"}, files...)...)
	submit.Stderr = &stderr
	out, err := submit.Output()
	if err != nil {
		return fmt.Errorf("submit: %w\n%s%s", err, out, stderr.String())
	}
	name := strings.TrimSpace(string(out))
	wfURL := url + "/api/v1/workflows/default/" + name
	if err := waitSuspended(ctx, wfURL, corpusSuspendStep); err != nil {
		return err
	}
	body := `{"nodeFieldSelector":"displayName=` + corpusSuspendStep + `","outputParameters":"` + corpusSuppliedJSON + `"}`
	if code, b, err := corpusHTTP(ctx, "PUT", wfURL+"/set", body); err != nil {
		return fmt.Errorf("node set: %w", err)
	} else if code != http.StatusOK {
		return fmt.Errorf("node set: %d %s", code, b)
	}
	if out, err := exec.CommandContext(ctx, binary, "resume", "--server", url, name).CombinedOutput(); err != nil {
		return fmt.Errorf("resume: %w\n%s", err, out)
	}
	if out, err := exec.CommandContext(ctx, binary, "wait", "--server", url, name).CombinedOutput(); err != nil {
		return fmt.Errorf("wait: %w\n%s", err, out)
	}
	wf, err := corpusGet(ctx, wfURL)
	if err != nil {
		return err
	}
	if wf.Status.Phase != "Succeeded" {
		return fmt.Errorf("phase %s (%s) after resume", wf.Status.Phase, wf.Status.Message)
	}
	for _, n := range wf.Status.Nodes {
		if n.DisplayName == corpusGatedStep {
			if n.Phase != "Succeeded" {
				return fmt.Errorf("%s is %s after the supplied value (%s)", corpusGatedStep, n.Phase, n.Message)
			}
			return nil
		}
	}
	return fmt.Errorf("no node %s after the supplied value", corpusGatedStep)
}

type corpusWorkflow struct {
	Status struct {
		Phase, Message string
		Nodes          map[string]struct{ DisplayName, Type, Phase, Message string }
	}
}

// startCorpusServer starts a server on a free loopback port with its
// database in dir; stop ends it.
func startCorpusServer(ctx context.Context, dir string) (url string, stop func(), err error) {
	cmd := exec.CommandContext(ctx, binary, "server", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "db"), "--data", filepath.Join(dir, "data"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		stop()
		return "", nil, fmt.Errorf("server printed nothing")
	}
	m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text())
	if m == nil {
		stop()
		return "", nil, fmt.Errorf("no address in %q", sc.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return m[1], stop, nil
}

// waitSuspended waits until the workflow's node step waits in a suspend.
func waitSuspended(ctx context.Context, wfURL, step string) error {
	for {
		wf, err := corpusGet(ctx, wfURL)
		if err != nil {
			return err
		}
		for _, n := range wf.Status.Nodes {
			if n.DisplayName == step && n.Type == "Suspend" && n.Phase == "Running" {
				return nil
			}
		}
		if wf.Status.Phase != "" && wf.Status.Phase != "Pending" && wf.Status.Phase != "Running" {
			return fmt.Errorf("ended %s (%s) before %s waited", wf.Status.Phase, wf.Status.Message, step)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never waited: %w", step, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func corpusGet(ctx context.Context, wfURL string) (*corpusWorkflow, error) {
	code, b, err := corpusHTTP(ctx, "GET", wfURL, "")
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", wfURL, err)
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", wfURL, code, b)
	}
	wf := &corpusWorkflow{}
	if err := json.Unmarshal(b, wf); err != nil {
		return nil, fmt.Errorf("GET %s: %w", wfURL, err)
	}
	return wf, nil
}

func corpusHTTP(ctx context.Context, method, url, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type corpusEntry struct {
	file, expected, needs string
	// library lists the template-only files of the same folder.
	library []string
}

// localCorpus lists the index rows a local engine must run.
func localCorpus(t *testing.T, dir string) []corpusEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "argo-examples-index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusEntry
	templatesIn := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var col map[string]int
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if col == nil {
			col = map[string]int{}
			for i, name := range f {
				col[name] = i
			}
			continue
		}
		if strings.Contains(f[col["kinds"]], "Template") && !strings.Contains(f[col["kinds"]], "Workflow,") {
			d := filepath.Dir(f[col["file"]])
			templatesIn[d] = append(templatesIn[d], f[col["file"]])
		}
		if f[col["local"]] != "yes" || f[col["expected"]] == "n/a" {
			continue
		}
		out = append(out, corpusEntry{file: f[col["file"]], expected: f[col["expected"]], needs: f[col["needs"]]})
	}
	for i := range out {
		if strings.Contains(out[i].needs, "template library") {
			out[i].library = templatesIn[filepath.Dir(out[i].file)]
		}
	}
	return out
}

// corpusDeviations are index rows whose expectation we believe is wrong,
// each with the reason; the test holds us to our own expectation.
var corpusDeviations = map[string]struct{ phase, why string }{
	"pod-gc-strategy-with-label-selector.yaml": {"Failed", "the index infers Succeeded, but step `fail` runs `exit 1` " +
		"with no continueOn, so its step group and the workflow fail, in Argo as here"},
}

func corpusArgs(dir string, e corpusEntry) []string {
	path := filepath.Join(dir, "argo-examples", e.file)
	args := []string{path}
	for _, lib := range e.library {
		args = append(args, filepath.Join(dir, "argo-examples", lib))
	}
	if strings.HasPrefix(filepath.Base(e.file), "synchronization") {
		args = append(args, filepath.Join(dir, "support", "my-config.yaml"))
	}
	return args
}

// TestCorpusRuns runs every `local: yes` manifest of the corpus with the
// built binary and checks the phase the index expects.
func TestCorpusRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real workflows for about a minute")
	}
	dir := corpusDir(t)
	entries := localCorpus(t, dir)
	if len(entries) < 40 {
		t.Fatalf("only %d local manifests in the index", len(entries))
	}
	var mu sync.Mutex
	passed := 0
	var wg sync.WaitGroup
	slots := make(chan struct{}, 12)
	for _, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if err := runCorpusEntry(dir, e); err != nil {
				t.Errorf("%s: %v", e.file, err)
				return
			}
			mu.Lock()
			passed++
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("corpus: %d/%d local manifests ran to the expected phase\n", passed, len(entries))
}

func runCorpusEntry(dir string, e corpusEntry) error {
	want, forever := e.expected, strings.HasPrefix(e.expected, "never completes")
	if d, ok := corpusDeviations[e.file]; ok {
		want = d.phase
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"run", "-o", "json"}, corpusArgs(dir, e)...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if forever {
		// A workflow that never ends must still be running after a while;
		// then Ctrl-C must end it Failed with a message.
		time.Sleep(3 * time.Second)
		_ = cmd.Process.Signal(syscall.SIGINT)
		want = "Failed"
	}
	err := cmd.Wait()
	var wf struct {
		Status struct {
			Phase, Message string
			Nodes          map[string]struct{ Phase, Message string }
		}
	}
	if jerr := json.Unmarshal(stdout.Bytes(), &wf); jerr != nil {
		return fmt.Errorf("no final workflow JSON (exit %s): %w\nstderr:\n%s", exitDesc(err), jerr, tail(stderr.String()))
	}
	if wf.Status.Phase != want {
		return fmt.Errorf("phase %s (%s), want %s\nstderr:\n%s", wf.Status.Phase, wf.Status.Message, want, tail(stderr.String()))
	}
	if (err == nil) != (want == "Succeeded") {
		return fmt.Errorf("exit %s does not match phase %s", exitDesc(err), wf.Status.Phase)
	}
	if forever {
		if !strings.Contains(wf.Status.Message, "interrupted") || !strings.Contains(stderr.String(), "Running") {
			return fmt.Errorf("after Ctrl-C: message %q; progress:\n%s", wf.Status.Message, tail(stderr.String()))
		}
	}
	return nil
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

func exitDesc(err error) string {
	if err == nil {
		return "0"
	}
	return err.Error()
}

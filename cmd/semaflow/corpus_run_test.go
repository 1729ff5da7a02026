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
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type corpusEntry struct {
	// reason is the index's local_reason: for a `maybe` row, the shims
	// (support ConfigMaps, database limits) a user would supply.
	file, expected, needs, reason string
	// locks says the workflow waits on locks (the index's sync column):
	// the slowest (a mutex chain of sleeps takes about 250 s).
	locks bool
	// library lists the template-only files of the same folder.
	library []string
}

// localCorpus lists the Workflows a local engine must run: the index's
// `local: yes` and `maybe` rows of kind Workflow (CronWorkflows and
// template libraries are run through the Workflows that use them).
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
		if l := f[col["local"]]; (l != "yes" && l != "maybe") || f[col["kinds"]] != "Workflow" {
			continue
		}
		out = append(out, corpusEntry{file: f[col["file"]], expected: f[col["expected"]], needs: f[col["needs"]], reason: f[col["local_reason"]], locks: f[col["sync"]] != ""})
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
var corpusDeviations = map[string]corpusDeviation{
	"pod-gc-strategy-with-label-selector.yaml": {[]string{"Failed"}, "the index infers Succeeded, but step `fail` runs `exit 1` " +
		"with no continueOn, so its step group and the workflow fail, in Argo as here", ""},
	"custom-metrics.yaml": {[]string{"Succeeded", "Failed"}, "the index infers Succeeded, but step `flakey` exits " +
		"random.choice([0, 1, 1]) with no retryStrategy (Argo labels it no-test: flaky): it fails two times in three", ""},
	"retry-container.yaml":                    retriesRunOut,
	"retry-with-steps.yaml":                   retriesRunOut,
	"workflow-template/retry-with-steps.yaml": retriesRunOut,
}

// retriesRunOut is the deviation of the examples whose steps exit
// random.choice([0, 1, 1]) under retryStrategy limit 10: a step fails all
// 11 attempts once in (3/2)^11 ≈ 87 runs, and these have up to three
// such steps (Argo labels the workflows no-test: flaky). Failed is right
// then, but only once the retries ran out.
var retriesRunOut = corpusDeviation{[]string{"Succeeded", "Failed"}, "each random step fails all 11 attempts about once in 87 runs", "No more retries left"}

type corpusDeviation struct {
	phases []string
	why    string
	// failedSays, when set, is what the workflow's message must say if
	// it ends Failed.
	failedSays string
}

// corpusSupport holds what a user supplies beside the corpus files: the
// database with the database semaphores' limits, and the
// artifact-repositories ConfigMap (Argo's e2e cluster has one).
type corpusSupport struct{ tmp string }

// artifactReposConfigMap points the key artifact-repository-ref.yaml
// names at semaflow's own repository.
const artifactReposConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: artifact-repositories
data:
  my-key: |
    local: {}
`

func (s corpusSupport) args(dir string, e corpusEntry) []string {
	path := filepath.Join(dir, "argo-examples", e.file)
	args := []string{path}
	for _, lib := range e.library {
		args = append(args, filepath.Join(dir, "argo-examples", lib))
	}
	if strings.HasPrefix(filepath.Base(e.file), "synchronization") {
		args = append(args, filepath.Join(dir, "support", "my-config.yaml"))
	}
	if strings.Contains(e.reason, "configmaps/simple-parameters-configmap.yaml") {
		args = append(args, filepath.Join(dir, "argo-examples", "configmaps", "simple-parameters-configmap.yaml"))
	}
	if strings.Contains(e.reason, "artifactRepositoryRef ConfigMap") {
		args = append(args, filepath.Join(s.tmp, "artifact-repositories.yaml"))
	}
	return args
}

// prepare makes what e needs before it runs and returns run's extra
// flags: for database semaphores, a database whose limits are set as the
// corpus README says users do (`<ns>/workflow` and `<ns>/template`, 2).
func (s corpusSupport) prepare(e corpusEntry) ([]string, error) {
	if !strings.Contains(e.reason, "database-backed sync") {
		return nil, nil
	}
	db := filepath.Join(s.tmp, strings.NewReplacer("/", "_", ".", "_").Replace(e.file)+".db")
	for _, key := range []string{"workflow", "template"} {
		out, err := exec.Command(binary, "sync", "set", "--db", db, "--create", "default/Database/"+key, "2").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("sync set --db %s default/Database/%s 2: %w\n%s", db, key, err, out)
		}
	}
	return []string{"--db", db}, nil
}

// TestCorpusRuns runs every Workflow of the corpus that the index marks
// `local: yes` or `maybe` with the built binary, given what a user would
// supply, and checks the outcome the index expects.
func TestCorpusRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real workflows for about four minutes")
	}
	dir := corpusDir(t)
	entries := localCorpus(t, dir)
	if len(entries) < 85 {
		t.Fatalf("only %d local Workflows in the index", len(entries))
	}
	// SEMAFLOW_CORPUS_RUN (a regexp of index files) runs only those, to
	// try a fix without the whole corpus.
	if only := os.Getenv("SEMAFLOW_CORPUS_RUN"); only != "" {
		re := regexp.MustCompile(only)
		entries = slices.DeleteFunc(entries, func(e corpusEntry) bool { return !re.MatchString(e.file) })
	}
	// The lock examples start first: they take longest, and the rest
	// fit beside them.
	slices.SortStableFunc(entries, func(a, b corpusEntry) int {
		switch {
		case a.locks == b.locks:
			return 0
		case a.locks:
			return -1
		}
		return 1
	})
	sup := corpusSupport{tmp: t.TempDir()}
	if err := os.WriteFile(filepath.Join(sup.tmp, "artifact-repositories.yaml"), []byte(artifactReposConfigMap), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	passed := 0
	var wg sync.WaitGroup
	// Most steps sleep or wait on locks; 12 at once keep 2 cores busy
	// without starving the lock-timing workflows.
	slots := make(chan struct{}, 12)
	start := time.Now()
	for _, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			began := time.Now()
			if err := runCorpusEntry(dir, sup, e); err != nil {
				t.Errorf("%s: %v", e.file, err)
				return
			}
			t.Logf("%s: %s in %s", e.file, e.expected, time.Since(began).Round(100*time.Millisecond))
			mu.Lock()
			passed++
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("corpus: %d/%d local Workflows reached the expected outcome in %s\n", passed, len(entries), time.Since(start).Round(time.Second))
}

// allowedPhases are the phases e may end in; forever says it never ends
// by itself.
func allowedPhases(e corpusEntry) (phases []string, forever bool) {
	if d, ok := corpusDeviations[e.file]; ok {
		return d.phases, false
	}
	switch {
	case strings.HasPrefix(e.expected, "never completes"):
		// Interrupted with Ctrl-C, it must end Failed.
		return []string{"Failed"}, true
	case strings.HasPrefix(e.expected, "random"):
		// A random step decides: either ending is right, an error is not.
		return []string{"Succeeded", "Failed"}, false
	case strings.HasPrefix(e.expected, "Succeeded after resume"):
		return []string{"Succeeded"}, false
	}
	return []string{e.expected}, false
}

func runCorpusEntry(dir string, sup corpusSupport, e corpusEntry) error {
	if strings.HasPrefix(e.expected, "Succeeded after resume with supplied values") {
		return runCorpusResume(sup.args(dir, e))
	}
	want, forever := allowedPhases(e)
	extra, err := sup.prepare(e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append(append([]string{"run", "-o", "json"}, extra...), sup.args(dir, e)...)...)
	var stdout bytes.Buffer
	var stderr lockedWriter // read while the run writes it
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if forever {
		// A workflow that never ends must still be running after a while;
		// then Ctrl-C must end it Failed with a message. Not before its
		// step runs: on a loaded machine the run may not have reached its
		// signal handler after a fixed pause (and Ctrl-C that early is
		// Go's default: exit at once, with nothing to report).
		for end := time.Now().Add(time.Minute); !strings.Contains(stderr.String(), "Running") && time.Now().Before(end); {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		_ = cmd.Process.Signal(syscall.SIGINT)
	}
	err = cmd.Wait()
	var wf struct {
		Status struct {
			Phase, Message string
			Nodes          map[string]struct{ Phase, Message string }
		}
	}
	if jerr := json.Unmarshal(stdout.Bytes(), &wf); jerr != nil {
		return fmt.Errorf("no final workflow JSON (exit %s): %w\nstderr:\n%s", exitDesc(err), jerr, tail(stderr.String()))
	}
	if !slices.Contains(want, wf.Status.Phase) {
		return fmt.Errorf("phase %s (%s), want %s\nstderr:\n%s", wf.Status.Phase, wf.Status.Message, strings.Join(want, " or "), tail(stderr.String()))
	}
	if says := corpusDeviations[e.file].failedSays; says != "" && wf.Status.Phase == "Failed" && !strings.Contains(wf.Status.Message, says) {
		return fmt.Errorf("phase Failed (%s), allowed only with a message that says %q\nstderr:\n%s", wf.Status.Message, says, tail(stderr.String()))
	}
	if (err == nil) != (wf.Status.Phase == "Succeeded") {
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

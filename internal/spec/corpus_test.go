package spec

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedDir finds ../shared next to the repository (the layout CI and
// sessions use); SEMAFLOW_SHARED overrides it.
func sharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("SEMAFLOW_SHARED"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../../shared")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "corpus", "argo-examples-index.tsv")); err != nil {
		t.Fatalf("corpus not found at %s (set SEMAFLOW_SHARED): %v", d, err)
	}
	return d
}

type corpusRow struct {
	file, kinds, expected, local string
}

func readCorpusIndex(t testing.TB) []corpusRow {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedDir(t), "corpus", "argo-examples-index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	col := map[string]int{}
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "\t")
		if len(col) == 0 {
			for i, c := range cells {
				col[c] = i
			}
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(cells) {
				return cells[i]
			}
			return ""
		}
		rows = append(rows, corpusRow{file: get("file"), kinds: get("kinds"), expected: get("expected"), local: get("local")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// corpusUnsupported are the corpus files Argo runs that use what semaflow
// does not support yet: lint reports it as an error (ignoring it would
// change the outcome), and only that. A file drops off the list when its
// feature lands.
var corpusUnsupported = map[string]string{}

// unsupportedError says whether d is lint's error for a field semaflow
// does not support.
func unsupportedError(d Diagnostic) bool {
	return d.Severity == SeverityError && d.Unhonoured
}

// TestCorpusLintsClean lints every manifest of the Argo corpus, file by
// file, together with the other files of its folder (template libraries
// live beside the workflows that use them). A file Argo accepts must have
// no errors; a file the index marks invalid must have at least one.
func TestCorpusLintsClean(t *testing.T) {
	root := filepath.Join(sharedDir(t), "corpus", "argo-examples")
	rows := readCorpusIndex(t)
	byDir := map[string][]*File{}
	parsed := map[string]*File{}
	for _, r := range rows {
		if !strings.HasSuffix(r.file, ".yaml") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, r.file))
		if err != nil {
			t.Fatalf("%s: %v", r.file, err)
		}
		f := Parse(r.file, data, Options{})
		parsed[r.file] = f
		byDir[filepath.Dir(r.file)] = append(byDir[filepath.Dir(r.file)], f)
	}
	for _, files := range byDir {
		NewSet(files...).Validate()
	}
	clean := 0
	for _, r := range rows {
		f := parsed[r.file]
		if f == nil {
			continue
		}
		t.Run(r.file, func(t *testing.T) {
			diags := f.AllDiags()
			wantInvalid := strings.Contains(strings.ToLower(r.expected), "invalid")
			if needs, ok := corpusUnsupported[r.file]; ok {
				var other Diagnostics
				n := 0
				for _, d := range diags {
					switch {
					case unsupportedError(d):
						n++
					case d.Severity == SeverityError:
						other = append(other, d)
					}
				}
				if n == 0 || len(other) > 0 {
					t.Errorf("%s needs %s: want only errors saying so, got:\n%s", r.file, needs, diags.Error())
				} else {
					clean++
				}
				return
			}
			switch {
			case wantInvalid && !diags.HasErrors():
				t.Errorf("the index expects %s to be rejected, but it lints clean", r.file)
			case !wantInvalid && diags.HasErrors():
				t.Errorf("Argo accepts %s (expected %q) but lint reports:\n%s", r.file, r.expected, diags.Error())
			default:
				clean++
			}
			if len(f.Docs) == 0 {
				t.Errorf("%s: no documents parsed", r.file)
			}
		})
	}
	t.Logf("corpus: %d of %d manifests lint as the index expects", clean, len(parsed))
	if len(parsed) < 90 {
		t.Errorf("only %d manifests found; the corpus has over 90", len(parsed))
	}
}

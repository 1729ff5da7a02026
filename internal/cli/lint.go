package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/spec"
)

type lintOptions struct {
	output    string
	maxSize   int
	namespace string
	applied   spec.Lookup // objects outside the files (a server's)
	limits    spec.Limits // loop sizes lint refuses (zero: the defaults)
	// noteImages adds the one warning naming the images, which steps do
	// not run in (lint, run and submit: once per run).
	noteImages bool
	dbLimits   spec.DatabaseLimits
}

func newLintCmd() *cobra.Command {
	o := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint FILE|DIR...",
		Short: "Check manifests and report every problem with its file, line and field",
		Long: "lint reads Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow and ConfigMap manifests\n" +
			"(several per file, separated by ---; directories are searched for *.yaml and *.yml) and checks them\n" +
			"together, so references between files resolve. It exits 1 when any error is found.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, o)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().IntVar(&o.maxSize, "max-size", spec.DefaultMaxSize, "largest file accepted, in bytes")
	cmd.Flags().StringVarP(&o.namespace, "namespace", "n", spec.DefaultNamespace, "namespace for objects that name none")
	return cmd
}

func runLint(stdout, stderr io.Writer, args []string, o *lintOptions) error {
	if o.output != "text" && o.output != "json" {
		return fmt.Errorf("unknown output format %q: use text or json", o.output)
	}
	o.noteImages = true
	set := checkFiles(args, o)
	files := set.Files
	diags := set.Diagnostics()
	errs, warns := diags.Count()
	if o.output == "json" {
		if err := writeLintJSON(stdout, files, diags, errs, warns); err != nil {
			return err
		}
	} else {
		writeLintText(stdout, files, diags, errs, warns)
	}
	if errs > 0 {
		return errFailed
	}
	return nil
}

// checkFiles reads, parses and validates the files and directories named
// by args as one set, as lint, run and submit all do.
func checkFiles(args []string, o *lintOptions) *spec.Set {
	paths, readErrs := expandPaths(args)
	var files []*spec.File
	for _, p := range paths {
		files = append(files, readAndParse(p, o))
	}
	set := spec.NewSet(append(files, readErrs...)...)
	set.Applied = o.applied
	set.Limits = o.limits
	set.DBLimits = o.dbLimits
	set.Validate()
	if o.noteImages {
		set.NoteImages()
	}
	return set
}

// expandPaths turns the arguments into a sorted list of YAML files; a path
// that cannot be read becomes a File carrying the error.
func expandPaths(args []string) ([]string, []*spec.File) {
	var paths []string
	var bad []*spec.File
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			bad = append(bad, fileError(arg, err))
			continue
		}
		if !info.IsDir() {
			paths = append(paths, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				bad = append(bad, fileError(p, err))
				return nil
			}
			if d.IsDir() || (!strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".yml")) {
				return nil
			}
			// A named pipe or device found in a directory would hang the
			// read or never end; one named on the command line is read.
			if info, err := os.Stat(p); err != nil {
				bad = append(bad, fileError(p, err))
			} else if !info.Mode().IsRegular() {
				bad = append(bad, fileError(p, fmt.Errorf("not a regular file (%s)", fileKind(info.Mode()))))
			} else {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			bad = append(bad, fileError(arg, err))
		}
	}
	sort.Strings(paths)
	return paths, bad
}

// fileKind names what a path that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

func fileError(name string, err error) *spec.File {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return &spec.File{Name: name, Diags: spec.Diagnostics{{File: name, Severity: spec.SeverityError, Message: "cannot read: " + msg}}}
}

// readAndParse reads at most one byte more than the limit, so a huge file
// is refused without being loaded.
func readAndParse(path string, o *lintOptions) *spec.File {
	// Without a writer, opening a named pipe waits for one for ever:
	// non-blocking, it opens at once and reads as empty, and a pipe with
	// a writer (a shell's <(...)) is still read whole, through the poller.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fileError(path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(o.maxSize)+1))
	if err != nil {
		return fileError(path, err)
	}
	return spec.Parse(path, data, spec.Options{MaxSize: o.maxSize, Namespace: o.namespace})
}

func writeLintText(w io.Writer, files []*spec.File, diags spec.Diagnostics, errs, warns int) {
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
	}
	for _, f := range files {
		if !f.AllDiags().HasErrors() {
			fmt.Fprintf(w, "ok %s (%s)\n", f.Name, plural(len(f.Docs), "document"))
		}
	}
	fmt.Fprintf(w, "%s checked: %s, %s\n", plural(len(files), "file"), plural(errs, "error"), plural(warns, "warning"))
}

func writeLintJSON(w io.Writer, files []*spec.File, diags spec.Diagnostics, errs, warns int) error {
	type fileReport struct {
		File      string `json:"file"`
		Documents int    `json:"documents"`
		OK        bool   `json:"ok"`
	}
	report := struct {
		Files       []fileReport     `json:"files"`
		Diagnostics spec.Diagnostics `json:"diagnostics"`
		Errors      int              `json:"errors"`
		Warnings    int              `json:"warnings"`
	}{Diagnostics: diags, Errors: errs, Warnings: warns}
	if report.Diagnostics == nil {
		report.Diagnostics = spec.Diagnostics{}
	}
	for _, f := range files {
		report.Files = append(report.Files, fileReport{File: f.Name, Documents: len(f.Docs), OK: !f.AllDiags().HasErrors()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

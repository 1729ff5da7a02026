package cli

import (
	"fmt"

	"github.com/semaflow/semaflow/internal/spec"
)

// checkDuplicateNames refuses, before anything is submitted, two
// Workflow documents of the input with one fixed metadata.name in one
// namespace: the second would be refused as "already exists" only once
// the copies of the first had started, and run would then end them all.
// Their copies clash exactly when the names do: a copy is named
// <name>-<number>, and "x-1" with copy k is "x-1-k", which no copy
// "x-<number>" of x can be.
func checkDuplicateNames(docs []*spec.Document, count int) error {
	seen := make(map[string]*spec.Document, len(docs))
	for _, d := range docs {
		m := d.Workflow.Metadata
		if m.Name == "" {
			continue // generateName: the engine picks free names
		}
		ns := m.Namespace
		if ns == "" {
			ns = "default"
		}
		key := ns + "/" + m.Name
		first, dup := seen[key]
		if !dup {
			seen[key] = d
			continue
		}
		clash := "would have the same name"
		if count > 1 {
			clash = fmt.Sprintf("would have the same names under --count %d", count)
		}
		return fmt.Errorf("workflow %q in namespace %s: %s and %s both name it, and their workflows %s: rename one; nothing was run",
			m.Name, ns, docPlace(first), docPlace(d), clash)
	}
	return nil
}

// docPlace says where a document is for a message: its file, its number
// in the file from 1, and the line it starts on.
func docPlace(d *spec.Document) string {
	return fmt.Sprintf("%s document %d (line %d)", d.File, d.Index+1, d.Pos.Line)
}

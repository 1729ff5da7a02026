package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// phaseIcon marks phases the way `argo get` does, in plain characters.
func phaseIcon(phase string) string {
	switch phase {
	case wfv1.PhaseSucceeded:
		return "✔"
	case wfv1.PhaseFailed, wfv1.PhaseError:
		return "✖"
	case wfv1.PhaseRunning:
		return "●"
	case wfv1.PhaseSkipped, wfv1.PhaseOmitted:
		return "○"
	}
	return "◷"
}

func duration(start, end *time.Time, now time.Time) string {
	if start == nil {
		return ""
	}
	e := now
	if end != nil {
		e = *end
	}
	d := e.Sub(*start)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// writeTree prints a workflow's summary and node tree like `argo get`.
func writeTree(w io.Writer, wf *wfv1.Workflow, nodes map[string]wfv1.NodeStatus, now time.Time) {
	st := wf.Status
	fmt.Fprintf(w, "Name:       %s\nNamespace:  %s\nStatus:     %s\n", wf.Metadata.Name, wf.Metadata.Namespace, st.Phase)
	if st.Message != "" {
		fmt.Fprintf(w, "Message:    %s\n", st.Message)
	}
	if d := duration(st.StartedAt, st.FinishedAt, now); d != "" {
		fmt.Fprintf(w, "Duration:   %s\n", d)
	}
	if st.Progress != "" {
		fmt.Fprintf(w, "Progress:   %s\n", st.Progress)
	}
	if st.Outputs != nil {
		for _, p := range st.Outputs.Parameters {
			if p.Value != nil {
				fmt.Fprintf(w, "Output:     %s=%s\n", p.Name, *p.Value)
			}
		}
	}
	root, ok := nodes[wf.Metadata.Name]
	if !ok {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTEMPLATE\tPODNAME\tDURATION\tMESSAGE")
	seen := map[string]bool{}
	var walk func(n wfv1.NodeStatus, prefix string, last, top bool)
	walk = func(n wfv1.NodeStatus, prefix string, last, top bool) {
		if seen[n.ID] {
			return
		}
		seen[n.ID] = true
		branch, childPrefix := "", prefix
		if !top {
			branch = prefix + "├─"
			childPrefix = prefix + "│ "
			if last {
				branch, childPrefix = prefix+"└─", prefix+"  "
			}
		}
		pod := ""
		if n.Type == "Pod" {
			pod = n.ID
		}
		tmpl := n.TemplateName
		if n.TemplateRef != nil {
			tmpl = n.TemplateRef.Name + "/" + n.TemplateRef.Template
		}
		// Group nodes only structure the tree; like argo, show them bare.
		if n.Type == "StepGroup" || n.Type == "TaskGroup" && tmpl == "" {
			tmpl = ""
		}
		fmt.Fprintf(tw, "%s%s %s\t%s\t%s\t%s\t%s\n", branch, phaseIcon(n.Phase), n.DisplayName, tmpl, pod,
			duration(n.StartedAt, n.FinishedAt, now), oneLine(n.Message))
		kids := make([]wfv1.NodeStatus, 0, len(n.Children))
		for _, id := range n.Children {
			if c, ok := nodes[id]; ok {
				kids = append(kids, c)
			}
		}
		for i, c := range kids {
			walk(c, childPrefix, i == len(kids)-1, false)
		}
	}
	walk(root, "", true, true)
	// Exit handlers hang off the workflow, not the root node.
	var rest []wfv1.NodeStatus
	for _, n := range nodes {
		if !seen[n.ID] && strings.HasPrefix(n.Name, wf.Metadata.Name+".onExit") && n.Name == wf.Metadata.Name+".onExit" {
			rest = append(rest, n)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].Name < rest[j].Name })
	for _, n := range rest {
		walk(n, "", true, true)
	}
	_ = tw.Flush()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

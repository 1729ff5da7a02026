package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
	"github.com/semaflow/semaflow/internal/spec"
)

// remote holds what every verb that talks to a server needs.
type remote struct {
	server, namespace, output string
	getenv                    func(string) string
}

func (r *remote) client() *client.Client {
	addr := r.server
	if addr == "" {
		addr = r.getenv("SEMAFLOW_SERVER")
	}
	if addr == "" {
		addr = "http://127.0.0.1:2746"
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return client.New(addr, r.getenv("SEMAFLOW_TOKEN"))
}

func (r *remote) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.server, "server", "", "semaflow server address (default $SEMAFLOW_SERVER, else http://127.0.0.1:2746)")
	cmd.Flags().StringVarP(&r.namespace, "namespace", "n", spec.DefaultNamespace, "namespace")
}

// addRemoteCmds adds the verbs that act on a server, shaped like argo's.
func addRemoteCmds(root *cobra.Command, getenv func(string) string) {
	root.AddCommand(submitCmd(getenv), listCmd(getenv), getCmd(getenv), logsCmd(getenv), waitCmd(getenv), watchCmd(getenv),
		deleteCmd(getenv),
		actionCmd(getenv, client.Stop, "Stop workflows: start nothing new, run exit handlers", "stopped"),
		actionCmd(getenv, client.Terminate, "Terminate workflows: kill their steps, skip exit handlers", "terminated"),
		actionCmd(getenv, client.Suspend, "Suspend workflows: start nothing new until resumed (running steps go on)", "suspended"),
		actionCmd(getenv, client.Resume, "Resume suspended workflows and complete their suspend steps", "resumed"),
		retryCmd(getenv),
		resubmitCmd(getenv),
		applyCmd(getenv), templateCmd(getenv), cronCmd(getenv), archiveCmd(getenv))
}

func labels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// printAs prints v as JSON or YAML.
func printAs(w io.Writer, format string, v any) error {
	if format == "yaml" {
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return printJSON(w, v)
}

func getCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a workflow: its status and node tree",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wf, err := r.client().GetWorkflow(cmd.Context(), r.namespace, args[0])
			if err != nil {
				return err
			}
			return showWorkflow(cmd.OutOrStdout(), r.output, wf)
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVarP(&r.output, "output", "o", "", "json, yaml or name")
	return cmd
}

// showWorkflow prints wf as get's -o asks: json, yaml, its name, or
// (by default) its node tree.
func showWorkflow(out io.Writer, output string, wf *wfv1.Workflow) error {
	w := termOut(out)
	switch output {
	case "json", "yaml":
		return printAs(w, output, wf)
	case "name":
		fmt.Fprintln(w, wf.Metadata.Name)
		return nil
	}
	writeTree(w, wf, wf.Status.Nodes, time.Now())
	return nil
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

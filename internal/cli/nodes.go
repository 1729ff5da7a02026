package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/client"
	"github.com/semaflow/semaflow/internal/app"
)

func nodesCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var db string
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "List the engines sharing a store: node, lease, and the workflows each runs",
		Long: "nodes lists the engines recorded in a semaflow server's store (--server, $SEMAFLOW_SERVER), or in a\n" +
			"database read directly (--db, even while an engine holds it): one per session, with its node name,\n" +
			"host and pid, when its lease expires (an engine whose lease expired may be gone; the next engine to\n" +
			"start takes its workflows over) and how many unfinished workflows it owns. SELF marks the server\n" +
			"that answered. -o json and yaml list the workflows too (the newest 100 of each node).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch r.output {
			case "", "wide", "json", "yaml":
			default:
				return fmt.Errorf("-o %s: want json, yaml or wide", r.output)
			}
			if db != "" && cmd.Flags().Changed("server") {
				return fmt.Errorf("give --server or --db, not both")
			}
			nodes, err := readNodes(cmd.Context(), db, r)
			if err != nil {
				return err
			}
			w := termOut(cmd.OutOrStdout())
			if r.output == "json" || r.output == "yaml" {
				return printAs(w, r.output, nodes)
			}
			if len(nodes) == 0 {
				// Engines close their session when they stop.
				fmt.Fprintln(cmd.ErrOrStderr(), "no engine is recorded in this store: none runs on it now")
				return nil
			}
			return writeNodes(w, nodes, r.output == "wide", time.Now())
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.server, "server", "", "semaflow server address (default $SEMAFLOW_SERVER, else http://127.0.0.1:2746)")
	f.StringVar(&db, "db", "", "read this database (a SQLite file or a postgres:// URL) instead of asking a server (read only)")
	f.StringVarP(&r.output, "output", "o", "", "json, yaml or wide")
	return cmd
}

// readNodes asks the server, or reads a --db database.
func readNodes(ctx context.Context, db string, r *remote) ([]client.Node, error) {
	if db == "" {
		nodes, err := r.client().Nodes(ctx)
		if nodes == nil {
			nodes = []client.Node{}
		}
		return nodes, err
	}
	infos, err := app.Nodes(ctx, db)
	if err != nil {
		return nil, err
	}
	nodes := make([]client.Node, 0, len(infos))
	for _, n := range infos {
		c := client.Node{Name: n.Name, Session: n.Session, Kind: n.Kind, Host: n.Host, PID: n.PID, Addr: n.Addr,
			Started: n.Started, Expires: n.Expires, Live: n.Live, Self: n.Self,
			WorkflowCount: n.WorkflowCount, Truncated: n.Truncated, Workflows: make([]client.NodeWorkflow, len(n.Workflows))}
		for i, w := range n.Workflows {
			c.Workflows[i] = client.NodeWorkflow(w)
		}
		nodes = append(nodes, c)
	}
	return nodes, nil
}

func writeNodes(w io.Writer, nodes []client.Node, wide bool, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "NODE\tKIND\tHOST\tPID\tLEASE\tWORKFLOWS\tSELF"
	if wide {
		header += "\tADDRESS\tSESSION\tSTARTED"
	}
	fmt.Fprintln(tw, header)
	for _, n := range nodes {
		self := ""
		if n.Self {
			self = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s", n.Name, n.Kind, n.Host, n.PID, lease(n.Expires, now), n.WorkflowCount, self)
		if wide {
			fmt.Fprintf(tw, "\t%s\t%s\t%s", n.Addr, n.Session, n.Started.Local().Format(time.DateTime))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// lease says when a lease ends, or how long ago it ended.
func lease(expires, now time.Time) string {
	if d := expires.Sub(now); d > 0 {
		return "expires in " + span(d)
	}
	return "expired " + span(now.Sub(expires)) + " ago"
}

// span is a duration to the second, in at most two units.
func span(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 48*3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

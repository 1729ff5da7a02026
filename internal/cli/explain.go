package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/client"
	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/spec"
)

func newExplainCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var db string
	cmd := &cobra.Command{
		Use:   "explain WORKFLOW [NODE]",
		Short: "Say why a workflow or node waits: locks, positions, holders, who is ahead and why",
		Long: "explain says, in plain sentences, why a workflow (or one of its nodes, by id, name or display name)\n" +
			"waits: for each lock, its position in the queue, who holds it (node, since when, fencing token), who\n" +
			"is ahead and why (priority, creation time), any reservation holding it back, and the engine's or the\n" +
			"workflow's parallelism. For a running one it says what it holds; for a lock wait that failed\n" +
			"(pendingTimeout) what it waited for. -o json gives the same as data. It asks the server (--server,\n" +
			"$SEMAFLOW_SERVER) or reads a database left by `semaflow run --db` (--db).",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			name, node := args[0], ""
			if len(args) == 2 {
				node = args[1]
			}
			if r.output != "" && r.output != "json" {
				return fmt.Errorf("output %q: want json, or nothing for sentences", r.output)
			}
			if err := spec.ValidNamespace(r.namespace); err != nil {
				return fmt.Errorf("explain: namespace %w", err)
			}
			if err := spec.ValidName(name); err != nil && name != latestAlias {
				return fmt.Errorf("explain %s/%.80q: workflow name %w", r.namespace, name, err)
			}
			x, raw, err := explainOf(c, r, db, name, node)
			if err != nil {
				var api *client.APIError
				if errors.As(err, &api) && strings.HasPrefix(api.Message, "explain ") {
					return err // the server's refusal names what it explains
				}
				return fmt.Errorf("explain %s/%s: %w", r.namespace, name, err)
			}
			return printExplanation(termOut(c.OutOrStdout()), x, raw, r.output)
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVarP(&r.output, "output", "o", "", "json for tools")
	cmd.Flags().StringVar(&db, "db", "", "read database `DB` (a SQLite file such as semaflow run --db keeps, or a postgres:// URL) instead of a server")
	return cmd
}

// explainOf asks the server, or reads --db; raw is the server's answer
// as it came, for -o json.
func explainOf(c *cobra.Command, r *remote, db, name, node string) (*engine.Explanation, json.RawMessage, error) {
	if db != "" {
		x, err := app.Explain(c.Context(), db, r.namespace, name, engine.ExplainOptions{Node: node}, time.Now())
		return x, nil, err
	}
	raw, err := r.client().Explain(c.Context(), r.namespace, name, node)
	if err != nil {
		return nil, nil, err
	}
	var x engine.Explanation
	if err := json.Unmarshal(raw, &x); err != nil {
		return nil, nil, fmt.Errorf("the server's answer: %w", err)
	}
	return &x, raw, nil
}

func printExplanation(w io.Writer, x *engine.Explanation, raw json.RawMessage, output string) error {
	switch output {
	case "json":
		// Re-encoded, not the raw answer: the server escapes '<' in
		// sentences for HTML, which a terminal should not show.
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if raw != nil {
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			return enc.Encode(v)
		}
		return enc.Encode(x)
	case "":
		for _, l := range x.Lines {
			fmt.Fprintln(w, l)
		}
		return nil
	}
	return fmt.Errorf("output %q: want json, or nothing for sentences", output)
}

// latestAlias stands for the namespace's newest workflow.
const latestAlias = "@latest"

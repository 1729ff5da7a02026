package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
)

func ended(phase string) bool {
	return phase == wfv1.PhaseSucceeded || phase == wfv1.PhaseFailed || phase == wfv1.PhaseError
}

// follow streams one workflow's changes to fn until it ends (or is
// deleted) and returns its last state.
func follow(ctx context.Context, c *client.Client, ns, name string, fn func(*wfv1.Workflow)) (*wfv1.Workflow, error) {
	// A watch of a name nothing holds stays open, silent: a workflow that
	// is not there (or was deleted already) is an error at once, as
	// Argo's server answers NotFound.
	if _, err := c.GetWorkflow(ctx, ns, name); client.NotFound(err) {
		return nil, fmt.Errorf("workflow %s/%s not found", ns, name)
	}
	var last *wfv1.Workflow
	down := 0 // reconnection attempts while the server is unreachable
	for {
		err := c.Watch(ctx, ns, client.ListOptions{FieldSelector: "metadata.name=" + name}, func(ev client.WatchEvent) error {
			if ev.Type == "DELETED" {
				return fmt.Errorf("workflow %s was deleted", name)
			}
			last = ev.Object
			fn(last)
			if ended(last.Status.Phase) {
				return client.ErrStop
			}
			return nil
		})
		switch {
		case err != nil && (!unreachable(err) || ctx.Err() != nil || down >= 120):
			return last, err
		case err != nil:
			// The server is restarting: it resumes the workflow, so wait
			// for it (up to a minute) rather than give up.
			down++
		case last == nil:
			return nil, fmt.Errorf("workflow %s/%s not found", ns, name)
		default:
			down = 0
		}
		if last != nil && ended(last.Status.Phase) {
			return last, nil
		}
		// The stream ended (this client fell behind, or the server went
		// away): watch again from the current state.
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// unreachable says whether err means the server could not be reached or
// went away mid-stream, rather than that it answered.
func unreachable(err error) bool {
	var urlErr *url.Error
	var opErr *net.OpError
	return errors.As(err, &urlErr) || errors.As(err, &opErr) || errors.Is(err, io.ErrUnexpectedEOF)
}

// watchAll follows workflows until they end, printing phase changes; it
// fails unless all succeed.
func watchAll(ctx context.Context, w io.Writer, c *client.Client, ns string, names []string) error {
	failed := false
	for _, name := range names {
		lastPhase := ""
		wf, err := follow(ctx, c, ns, name, func(wf *wfv1.Workflow) {
			if p := wf.Status.Phase; p != lastPhase {
				lastPhase = p
				msg := ""
				if wf.Status.Message != "" {
					msg = "  " + wf.Status.Message
				}
				fmt.Fprintf(w, "%s  %s  %s%s\n", time.Now().Format("15:04:05"), name, p, msg)
			}
		})
		if err != nil {
			return err
		}
		if wf.Status.Phase != wfv1.PhaseSucceeded {
			failed = true
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

func waitCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "wait NAME...",
		Short: "Wait for workflows to end; exit 0 only if all Succeeded",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := r.client()
			failed := false
			for _, name := range args {
				wf, err := follow(cmd.Context(), c, r.namespace, name, func(*wfv1.Workflow) {})
				if err != nil {
					return err
				}
				fmt.Fprintf(termOut(cmd.OutOrStdout()), "%s %s\n", wf.Metadata.Name, wf.Status.Phase)
				failed = failed || wf.Status.Phase != wfv1.PhaseSucceeded
			}
			if failed {
				return errFailed
			}
			return nil
		},
		ValidArgsFunction: r.completeNames,
	}
	r.flags(cmd)
	return cmd
}

func watchCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "watch NAME",
		Short: "Show a workflow's tree live until it ends",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw := cmd.OutOrStdout()
			live := isTerminal(raw)
			w := termOut(raw)
			c := r.client()
			lastPhase := ""
			wf, err := follow(cmd.Context(), c, r.namespace, args[0], func(wf *wfv1.Workflow) {
				if live {
					fmt.Fprint(raw, "\x1b[H\x1b[2J") // ours: the only escape let through
					writeTree(w, wf, wf.Status.Nodes, time.Now())
				} else if wf.Status.Phase != lastPhase {
					fmt.Fprintf(w, "%s  %s  %s %s\n", time.Now().Format("15:04:05"), wf.Metadata.Name, wf.Status.Phase, oneLine(wf.Status.Message))
				}
				lastPhase = wf.Status.Phase
			})
			if err != nil {
				return err
			}
			if !live {
				writeTree(w, wf, wf.Status.Nodes, time.Now())
			}
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				return errFailed
			}
			return nil
		},
		ValidArgsFunction: r.completeNames,
	}
	r.flags(cmd)
	return cmd
}

func logsCmd(getenv func(string) string) *cobra.Command {
	r := &remote{getenv: getenv}
	var followLog bool
	var grep string
	cmd := &cobra.Command{
		Use:   "logs NAME [POD]",
		Short: "Print a workflow's step logs (POD: one step, by node ID or name); -f follows until it ends",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pod := ""
			if len(args) == 2 {
				pod = args[1]
			}
			w := termOut(cmd.OutOrStdout())
			return r.client().Logs(cmd.Context(), r.namespace, args[0], pod, grep, followLog, func(e client.LogEntry) error {
				_, err := fmt.Fprintf(w, "%s: %s\n", e.PodName, e.Content)
				return err
			})
		},
		ValidArgsFunction: r.completeNames,
	}
	r.flags(cmd)
	cmd.Flags().BoolVarP(&followLog, "follow", "f", false, "keep printing new lines until the workflow ends")
	cmd.Flags().StringVar(&grep, "grep", "", "only lines matching this regular expression")
	return cmd
}

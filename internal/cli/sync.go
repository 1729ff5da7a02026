package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
)

func newSyncCmd(getenv func(string) string) *cobra.Command {
	var db, output string
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Show and change locks: limits, holders and queues",
		Long: "sync reads and changes the lock state of a semaflow server (--server, $SEMAFLOW_SERVER), or of a\n" +
			"database left by `semaflow run --db` (--db): every semaphore and mutex with its limit, its holders\n" +
			"with their fencing tokens, and its queue in grant order.",
	}
	cmd.PersistentFlags().StringVar(&db, "db", "", "read and change the SQLite database of `semaflow run --db` instead of a server")
	cmd.PersistentFlags().StringVar(&r.server, "server", "", "semaflow server address (default $SEMAFLOW_SERVER, else http://127.0.0.1:2746)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List every lock with its limit, holders and waiters",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return syncShow(c.Context(), termOut(c.OutOrStdout()), db, r, "", output)
		},
	}
	list.Flags().StringVarP(&output, "output", "o", "", "json for tools")
	get := &cobra.Command{
		Use:   "get LOCK",
		Short: "Show one lock: limit, holders with tokens, waiters in order",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return syncShow(c.Context(), termOut(c.OutOrStdout()), db, r, args[0], output)
		},
	}
	get.Flags().StringVarP(&output, "output", "o", "", "json for tools")
	set := &cobra.Command{
		Use:   "set LOCK LIMIT",
		Short: "Set a semaphore's limit (a ConfigMap key, or a database semaphore)",
		Long: "set changes the limit of <ns>/ConfigMap/<name>/<key> (the stored ConfigMap is updated too) or of a\n" +
			"database semaphore <ns>/Database/<key>. On a server it applies at once; with --db, the next engine on\n" +
			"that database uses it. An increase grants waiters at once, a decrease never preempts holders, 0\n" +
			"pauses the lock.",
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return syncSet(c.Context(), c.OutOrStdout(), db, r, args[0], args[1])
		},
	}
	cmd.AddCommand(list, get, set)
	return cmd
}

// lockViews reads the locks from a --db database, or else the server.
func lockViews(ctx context.Context, db string, r *remote, only string) ([]locks.View, error) {
	if db == "" {
		items, err := r.client().Locks(ctx, only)
		views := make([]locks.View, len(items))
		for i, v := range items {
			views[i] = locks.View(v)
		}
		return views, err
	}
	s, err := app.OpenStore(ctx, db, false)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var st *store.LockState
	if err := s.View(ctx, func(tx store.Tx) error {
		st, err = tx.LoadLocks()
		return err
	}); err != nil {
		return nil, err
	}
	return locks.Views(st, only), nil
}

func syncShow(ctx context.Context, w io.Writer, db string, r *remote, only, output string) error {
	views, err := lockViews(ctx, db, r, only)
	if err != nil {
		return err
	}
	if only != "" && len(views) == 0 {
		return fmt.Errorf("no lock %q", only)
	}
	if output == "json" {
		b, err := json.MarshalIndent(views, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(w, string(b))
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOCK\tLIMIT\tHELD\tWAITING\tLAST TOKEN")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", v.Lock, v.Limit, len(v.Holders), len(v.Waiters), v.Fence)
	}
	_ = tw.Flush()
	if only != "" {
		v := views[0]
		holders := make([]string, 0, len(v.Holders))
		for h := range v.Holders {
			holders = append(holders, h)
		}
		sort.Strings(holders)
		fmt.Fprintln(w, "\nHolders (token):")
		for _, h := range holders {
			fmt.Fprintf(w, "  %s (%d)\n", h, v.Holders[h])
		}
		fmt.Fprintln(w, "Waiters, in grant order:")
		for i, h := range v.Waiters {
			fmt.Fprintf(w, "  %d. %s\n", i+1, h)
		}
	}
	return nil
}

func syncSet(ctx context.Context, w io.Writer, db string, r *remote, key, value string) error {
	limit, err := strconv.Atoi(value)
	if err != nil || limit < 0 {
		return fmt.Errorf("limit %q: want a non-negative integer", value)
	}
	lk, err := domain.ParseLockKey(key)
	switch {
	case err == nil && lk.Kind == domain.LockMutex:
		return fmt.Errorf("%s is a mutex: its limit is always 1", key)
	case err == nil && (lk.Kind == domain.LockConfigMap || lk.Kind == domain.LockDatabase):
	default:
		return fmt.Errorf("lock %q: want <ns>/ConfigMap/<name>/<key> or <ns>/Database/<key>", key)
	}
	if db == "" {
		cmName, k := "", lk.Name
		if lk.Kind == domain.LockConfigMap {
			cmName, k = lk.Name, lk.Key
		}
		if err := r.client().SetSyncLimit(ctx, lk.Namespace, cmName, k, limit); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: limit %d\n", key, limit)
		return nil
	}
	s, err := app.OpenStore(ctx, db, true)
	if err != nil {
		return err
	}
	defer s.Close()
	err = s.Update(ctx, func(tx store.Tx) error {
		if lk.Kind == domain.LockConfigMap {
			if err := setConfigMapKey(tx, lk.Namespace, lk.Name, lk.Key, value); err != nil {
				return err
			}
		}
		return tx.PutLockLimit(key, limit)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: limit %d\n", key, limit)
	return nil
}

// setConfigMapKey writes the limit into the stored ConfigMap, creating it
// if needed, so the ConfigMap and the lock agree.
func setConfigMapKey(tx store.Tx, ns, name, key, value string) error {
	cm := &wfv1.ConfigMap{}
	cm.APIVersion, cm.Kind = "v1", wfv1.KindConfigMap
	cm.Metadata.Namespace, cm.Metadata.Name = ns, name
	if obj, err := tx.GetObject(wfv1.KindConfigMap, ns, name); err == nil {
		if err := json.Unmarshal(obj.Doc, cm); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[key] = value
	doc, err := json.Marshal(cm)
	if err != nil {
		return err
	}
	return tx.PutObject(store.Object{Kind: wfv1.KindConfigMap, Namespace: ns, Name: name, Doc: doc, UpdatedAt: time.Now()})
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
)

func newSyncCmd(getenv func(string) string) *cobra.Command {
	var db, output, namespace string
	var create bool
	r := &remote{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Show and change locks: limits, holders and queues",
		Long: "sync reads and changes the lock state of a semaflow server (--server, $SEMAFLOW_SERVER), or of a\n" +
			"database left by `semaflow run --db` (--db): every semaphore and mutex with its limit, its holders\n" +
			"with their fencing tokens, and its queue in grant order. A token scoped to namespaces reads one\n" +
			"namespace at a time: sync list -n NS; sync get and set use the namespace in the lock's key.",
	}
	cmd.PersistentFlags().StringVar(&db, "db", "", "read and change database `DB` (a SQLite file such as semaflow run --db keeps, or a postgres:// URL) instead of a server")
	cmd.PersistentFlags().StringVar(&r.server, "server", "", "semaflow server address (default $SEMAFLOW_SERVER, else http://127.0.0.1:2746)")
	cmd.PersistentFlags().StringVarP(&namespace, "namespace", "n", "", "only the locks of namespace `NS` (list; get and set take the lock's own, and refuse another): "+
		"what a token scoped to namespaces needs for list")
	list := &cobra.Command{
		Use:   "list",
		Short: "List every lock with its limit, holders and waiters",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return syncShow(c.Context(), termOut(c.OutOrStdout()), db, r, "", namespace, output)
		},
	}
	list.Flags().StringVarP(&output, "output", "o", "", "json for tools")
	get := &cobra.Command{
		Use:   "get LOCK",
		Short: "Show one lock: limit, holders with tokens, waiters in order",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return syncShow(c.Context(), termOut(c.OutOrStdout()), db, r, args[0], namespace, output)
		},
	}
	get.Flags().StringVarP(&output, "output", "o", "", "json for tools")
	set := &cobra.Command{
		Use:   "set LOCK LIMIT",
		Short: "Set a semaphore's limit (a ConfigMap key, or a database semaphore)",
		Long: "set changes the limit of <ns>/ConfigMap/<name>/<key> (the stored ConfigMap is updated too) or of a\n" +
			"database semaphore <ns>/Database/<key>. On a server it applies at once; with --db, the next engine on\n" +
			"that database uses it. An increase grants waiters at once, a decrease never preempts holders, 0\n" +
			"pauses the lock. A ConfigMap or key that does not exist is refused unless --create is given, so a\n" +
			"mistyped name does not make a lock nothing uses.",
		Args:        cobra.ExactArgs(2),
		Annotations: map[string]string{negativeArgs: "yes"},
		RunE: func(c *cobra.Command, args []string) error {
			if err := lockInNamespace(args[0], namespace); err != nil {
				return err
			}
			return syncSet(c.Context(), c.OutOrStdout(), db, r, args[0], args[1], create)
		},
	}
	set.Flags().BoolVar(&create, "create", false, "create the ConfigMap, add the key to it, or (with --db) create the database file, when it does not exist yet")
	cmd.AddCommand(list, get, set)
	return cmd
}

// lockViews reads the locks from a --db database, or else the server;
// namespace, when set, keeps to that namespace's locks.
func lockViews(ctx context.Context, db string, r *remote, only, namespace string) ([]locks.View, error) {
	if db == "" {
		items, err := r.client().LocksIn(ctx, namespace, only)
		var api *client.APIError
		if errors.As(err, &api) && api.Status == http.StatusForbidden && namespace == "" {
			return nil, fmt.Errorf("%w: a token scoped to namespaces reads locks one namespace at a time: give -n NAMESPACE", err)
		}
		if err != nil {
			return nil, err
		}
		return remoteViews(items)
	}
	views, err := app.LockViews(ctx, db, only)
	if err != nil || namespace == "" {
		return views, err
	}
	kept := []locks.View{}
	for _, v := range views {
		if k, err := domain.ParseLockKey(v.Lock); err == nil && k.Namespace == namespace {
			kept = append(kept, v)
		}
	}
	return kept, nil
}

// lockInNamespace refuses a -n that is not the lock's own namespace.
func lockInNamespace(lock, namespace string) error {
	k, err := domain.ParseLockKey(lock)
	if err != nil || namespace == "" || k.Namespace == namespace {
		return nil
	}
	return fmt.Errorf("lock %s is in namespace %s, not %s (-n): the lock's key names its namespace", lock, k.Namespace, namespace)
}

// remoteViews turns the server's views, as the public client reads them,
// into the views --db reads: the two types are the same JSON, so every
// field the client knows reaches `sync list -o json`.
func remoteViews(items []client.LockView) ([]locks.View, error) {
	if len(items) == 0 {
		return []locks.View{}, nil
	}
	b, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	views := []locks.View{}
	if err := json.Unmarshal(b, &views); err != nil {
		return nil, fmt.Errorf("reading the server's lock views: %w", err)
	}
	return views, nil
}

func syncShow(ctx context.Context, w io.Writer, db string, r *remote, only, namespace, output string) error {
	if err := lockInNamespace(only, namespace); err != nil {
		return err
	}
	if namespace == "" && only != "" {
		// The lock's namespace: what a scoped token may read.
		if k, err := domain.ParseLockKey(only); err == nil {
			namespace = k.Namespace
		}
	}
	views, err := lockViews(ctx, db, r, only, namespace)
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
			start := ""
			if st, ok := v.Starts[h]; ok {
				start = ", " + st.Text
			}
			fmt.Fprintf(w, "  %d. %s%s\n", i+1, h, start)
		}
		if ht := v.HoldTimes; ht != nil {
			fmt.Fprintf(w, "Hold times: %d recorded, median %s, 90%% %s\n", ht.Samples,
				eta.Short(time.Duration(ht.P50Seconds*float64(time.Second))), eta.Short(time.Duration(ht.P90Seconds*float64(time.Second))))
		}
	}
	return nil
}

func syncSet(ctx context.Context, w io.Writer, db string, r *remote, key, value string, create bool) error {
	limit, err := strconv.Atoi(value)
	switch {
	case err == nil && limit < 0:
		return fmt.Errorf("%s: limit %d is negative: a limit is 0 or more (0 pauses the lock)", key, limit)
	case err != nil:
		return fmt.Errorf("%s: limit %q: want a non-negative integer", key, value)
	}
	lk, err := domain.ParseLockKey(key)
	switch {
	case err == nil && lk.Kind.IsMutex():
		return fmt.Errorf("%s is a mutex: its limit is always 1", key)
	case err == nil && (lk.Kind == domain.LockConfigMap || lk.Kind == domain.LockDatabase):
	default:
		return fmt.Errorf("lock %q: want <ns>/ConfigMap/<name>/<key> or <ns>/Database/<key>", key)
	}
	if db == "" {
		cmName, k := "", lk.Name
		if lk.Kind == domain.LockConfigMap {
			cmName, k = lk.Name, lk.Key
			var cm wfv1.ConfigMap
			err := r.client().GetObject(ctx, client.ConfigMaps, lk.Namespace, lk.Name, &cm)
			if err != nil && !client.NotFound(err) {
				return err
			}
			if err := checkConfigMap(w, lk, client.NotFound(err), cm.Data, create); err != nil {
				return err
			}
		}
		if err := r.client().SetSyncLimit(ctx, lk.Namespace, cmName, k, limit); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: limit %d\n", key, limit)
		return nil
	}
	// A limit can be set before anything ran, in a new database; a
	// mistyped path must not make one: that takes --create.
	if path, ok := strings.CutPrefix(db, "sqlite://"); !strings.Contains(db, "://") || ok {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if !create {
				return fmt.Errorf("database %s does not exist: nothing changed (check the path, or give --create to make a new database with this limit)", path)
			}
			fmt.Fprintf(w, "%s did not exist: created it\n", path)
		}
	}
	a, err := app.Start(ctx, app.Options{Kind: app.KindSync, DB: db})
	if err != nil {
		return err
	}
	l := engine.SyncLimit{Namespace: lk.Namespace, Key: lk.Name, Database: lk.Kind == domain.LockDatabase}
	if !l.Database {
		l.CmName, l.Key = lk.Name, lk.Key
		var cm wfv1.ConfigMap
		err := a.Engine.Object(ctx, wfv1.KindConfigMap, lk.Namespace, lk.Name, &cm)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			_ = a.Stop(false)
			return err
		}
		if err := checkConfigMap(w, lk, err != nil, cm.Data, create); err != nil {
			_ = a.Stop(false)
			return err
		}
	}
	err = a.Engine.SetLockLimit(ctx, l, limit)
	if stopErr := a.Stop(false); err == nil {
		err = stopErr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: limit %d\n", key, limit)
	return nil
}

// checkConfigMap refuses to set a limit in a ConfigMap, or a key of one,
// that does not exist, unless create; with create it says what it makes.
func checkConfigMap(w io.Writer, lk domain.LockKey, missing bool, data map[string]string, create bool) error {
	cm := lk.Namespace + "/" + lk.Name
	_, hasKey := data[lk.Key]
	switch {
	case missing && !create:
		return fmt.Errorf("ConfigMap %s does not exist: nothing changed (check the name with `semaflow sync list`, or give --create to create it with key %s)", cm, lk.Key)
	case missing:
		fmt.Fprintf(w, "ConfigMap %s did not exist: created it with key %s\n", cm, lk.Key)
	case !hasKey && !create:
		return fmt.Errorf("ConfigMap %s has no key %s: nothing changed (its keys: %s; give --create to add it)", cm, lk.Key, keyList(data))
	case !hasKey:
		fmt.Fprintf(w, "ConfigMap %s had no key %s: added it\n", cm, lk.Key)
	}
	return nil
}

func keyList(data map[string]string) string {
	if len(data) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

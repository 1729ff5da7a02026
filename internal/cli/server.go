package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/spec"
)

type serverOptions struct {
	addr, db, data, tokenFile string
	parallel, nsParal         int
	inheritEnv                bool
	limits                    spec.Limits
}

func newServerCmd() *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run semaflow as a long-lived server with an Argo-compatible HTTP API",
		Long: "server keeps its state in a SQLite database and serves Argo server's REST paths. On start it\n" +
			"resumes the workflows it left unfinished (locks are rebuilt before anything is granted; steps still\n" +
			"running are followed). SIGTERM stops it gracefully: running steps go on under their supervisor and\n" +
			"are picked up on the next start. It listens on loopback unless --auth-token-file is given.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServer(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:2746", "address to listen on")
	f.StringVar(&o.db, "db", "", "SQLite database, a path or sqlite:///path (default: semaflow.db in the user's data directory)")
	f.StringVar(&o.data, "data", "", "directory for step directories and logs (default: the database's path + .data)")
	f.StringVar(&o.tokenFile, "auth-token-file", "", "file of bearer tokens, one a line, each optionally followed by the namespaces it may act in (TOKEN ns1,ns2); required off loopback")
	f.IntVar(&o.parallel, "parallelism", 0, "run at most this many workflows at once (0: no cap)")
	f.IntVar(&o.nsParal, "namespace-parallelism", 0, "run at most this many workflows at once per namespace (0: no cap)")
	addLimitFlags(cmd, &o.limits)
	f.BoolVar(&o.inheritEnv, "inherit-env", false, "give steps the server's whole environment (by default they see only PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ, TMPDIR and TERM)")
	return cmd
}

func runServer(ctx context.Context, stdout io.Writer, o *serverOptions) error {
	// Caught from the start: a SIGTERM during start-up still stops the
	// server gracefully, once it has resumed.
	sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := checkLimits(o.limits); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", o.addr, err)
	}
	var tokens []server.Token
	if o.tokenFile != "" {
		if tokens, err = readTokens(o.tokenFile); err != nil {
			return err
		}
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %s is not a loopback address: give --auth-token-file to serve it", o.addr)
	}
	if o.db == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		dir := filepath.Join(home, ".local", "share", "semaflow")
		if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
			dir = filepath.Join(xdg, "semaflow")
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		o.db = filepath.Join(dir, "semaflow.db")
	}
	// Steps of a shared server do not see what its operator keeps in its
	// environment (tokens, credentials), as Argo's pods do not see the
	// controller's.
	stepEnv := executor.BaseEnv(os.Environ())
	if o.inheritEnv {
		stepEnv = nil
	}
	local, err := app.OpenLocal(ctx, app.LocalOptions{DB: o.db, DataDir: o.data, Parallelism: o.parallel,
		NamespaceParallelism: o.nsParal, StepEnv: stepEnv, Limits: o.limits})
	if err != nil {
		return err
	}
	resumed, err := local.Engine.Resume(ctx)
	if err != nil {
		_ = local.Close()
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		local.Engine.Detach()
		_ = local.Close()
		return err
	}
	local.Engine.StartCron()
	handler := server.New(local.Engine).Handler()
	if len(tokens) > 0 {
		handler = server.RequireToken(tokens, handler)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "semaflow server listening on http://%s (database %s, %d workflows resumed)\n", ln.Addr(), o.db, len(resumed))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-sigCtx.Done():
	case err := <-errc:
		local.Engine.Detach()
		_ = local.Close()
		return err
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutCtx)
	local.Engine.Detach()
	if err := local.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "semaflow server stopped; running steps go on and are resumed on the next start")
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// readTokens reads one token a line, optionally followed by the
// namespaces it is limited to: "TOKEN ns1,ns2".
func readTokens(path string) ([]server.Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--auth-token-file: %w", err)
	}
	var out []server.Token
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		t := server.Token{Value: fields[0]}
		if len(fields) > 1 {
			for _, ns := range strings.Split(strings.Join(fields[1:], ""), ",") {
				if ns != "" {
					t.Namespaces = append(t.Namespaces, ns)
				}
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--auth-token-file %s holds no token", path)
	}
	return out, nil
}

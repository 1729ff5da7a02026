package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
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
	isolation                 isolationFlags
	allowedHosts              []string
	limits                    spec.Limits
	imageTable                string
	artifactRepo              string
	secretsDir                string
	httpAllow                 []string
	lease                     leaseFlags
	nodeName                  string
	grace                     time.Duration
	maxConns                  int
	trustForwardedProto       bool
	archiveTTL                string
}

func newServerCmd() *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run semaflow as a long-lived server with an Argo-compatible HTTP API",
		Long: "server keeps its state in a SQLite database and serves Argo server's REST paths. On start it\n" +
			"resumes the workflows it left unfinished (locks are rebuilt before anything is granted; steps still\n" +
			"running are followed). SIGTERM stops it gracefully, within --grace-period: running steps go on under\n" +
			"their supervisor and are picked up on the next start. It listens on loopback unless\n" +
			"--auth-token-file is given.\n\n" +
			"With --db postgres://..., several servers (nodes, each with its own --node-name and --data) share\n" +
			"one database: one set of workflows, templates, ConfigMaps and locks, reachable through any node.\n" +
			"A node's steps live while its lease (--lease-ttl) is renewed; when a node dies or is cut off, its\n" +
			"steps are killed at its lease's end and another node adopts its workflows --lease-margin later:\n" +
			"lost steps go to their retryStrategy, and held locks pass on with higher fencing tokens.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Before the isolation probe: a mistyped flag is said at once.
			if err := checkNodeName(o.nodeName); err != nil {
				return err
			}
			iso, unconfined, err := o.isolation.resolve(cmd, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runServer(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, iso, unconfined)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:2746", "address to listen on")
	f.StringVar(&o.db, "db", "", "database: a SQLite path or sqlite:///path, or a postgres://user@host/db URL shared by several servers (default: semaflow.db in the user's data directory)")
	f.StringVar(&o.data, "data", "", "directory for step directories and logs (default: the database's path + .data)")
	f.StringVar(&o.tokenFile, "auth-token-file", "", "file of bearer tokens, one a line, each optionally followed by the namespaces it may act in (TOKEN ns1,ns2); required off loopback")
	f.IntVar(&o.parallel, "parallelism", 0, "run at most this many workflows at once (0: no cap)")
	f.IntVar(&o.nsParal, "namespace-parallelism", 0, "run at most this many workflows at once per namespace (0: no cap)")
	f.StringArrayVar(&o.allowedHosts, "allowed-host", nil, "a host name (or name:port) clients reach the server by, besides its listening address and loopback; repeatable. Requests whose Host or Origin names anything else are refused (DNS rebinding, CSRF)")
	f.IntVar(&o.maxConns, "max-connections", 0, fmt.Sprintf("cap on open connections; past it a new one closes the longest-idle one, or is answered 503 when all are busy (0: %d, or half the open-file limit if lower)", server.DefaultMaxConns))
	f.BoolVar(&o.trustForwardedProto, "trust-forwarded-proto", false, "take X-Forwarded-Proto: https as TLS, so the web UI's cookie is Secure: only when a TLS proxy is the sole way to reach the server")
	f.StringVar(&o.archiveTTL, "archive-ttl", "", "remove archived workflows this long after they finished: a duration (72h) or days (7d), as Argo's archiveTTL (default: keep them until deleted)")
	addLimitFlags(cmd, &o.limits)
	addHTTPAllowFlag(cmd, &o.httpAllow)
	f.StringVar(&o.imageTable, "image-table", "", "YAML file of images and the entrypoint/cmd a container with no command runs (default: images.yaml in the data directory, if any; built-ins cover argosay, whalesay, alpine, busybox, python, ...)")
	f.StringVar(&o.artifactRepo, "artifact-repository", "", "directory of the artifact repository that output artifacts and key-only s3 artifacts use (default: artifacts in the data directory)")
	f.StringVar(&o.secretsDir, "secrets-dir", "", "directory of the secrets artifacts name, one file per key: DIR/NAMESPACE/NAME/KEY (a workflow reads only its own namespace's)")
	f.BoolVar(&o.inheritEnv, "inherit-env", false, "give steps the server's whole environment (by default they see only PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ, TMPDIR and TERM)")
	o.isolation.add(cmd, "nobody")
	addLeaseFlags(cmd, &o.lease)
	addNodeNameFlag(cmd, &o.nodeName)
	addGraceFlag(cmd, &o.grace, "the server stops gracefully (running steps go on and are resumed on the next start) within this period")
	return cmd
}

func runServer(ctx context.Context, stdout, stderr io.Writer, o *serverOptions, iso executor.Isolation, unconfined string) error {
	// Caught from the start: a SIGTERM during start-up still stops the
	// server gracefully, once it has resumed.
	// Past the grace period the server exits whatever it waits on; its
	// running steps go on under their supervisor, as in a graceful stop.
	guard := newSignalGuard(ctx, stderr, "semaflow server", o.grace, nil, os.Exit)
	defer guard.stop()
	if o.grace <= 0 {
		return fmt.Errorf("--grace-period must be positive, got %s", o.grace)
	}
	if err := checkLimits(o.limits); err != nil {
		return err
	}
	if o.maxConns < 0 {
		return fmt.Errorf("--max-connections must be 0 (the default) or positive, got %d", o.maxConns)
	}
	if err := o.lease.check(); err != nil {
		return err
	}
	archiveTTL, err := parseArchiveTTL(o.archiveTTL)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", o.addr, err)
	}
	var tokens []server.Token
	if o.tokenFile != "" {
		var warnings []string
		if tokens, warnings, err = readTokens(o.tokenFile); err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(stderr, "semaflow server: warning:", w)
		}
		warnUnconfined(stderr, o.tokenFile, tokens, unconfined)
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %s is not a loopback address: give --auth-token-file to serve it", o.addr)
	}
	a, err := app.Start(ctx, app.Options{Kind: app.KindServer, DB: o.db, DataDir: o.data, Parallelism: o.parallel,
		NamespaceParallelism: o.nsParal, InheritEnv: o.inheritEnv, Isolation: iso, Limits: o.limits, ImageTable: o.imageTable, ArtifactRepository: o.artifactRepo, SecretsDir: o.secretsDir, HTTPAllow: o.httpAllow,
		Logger: slog.New(slog.NewTextHandler(stderr, nil)),
		Addr:   o.addr, Tokens: tokens, AllowedHosts: o.allowedHosts, LeaseTTL: o.lease.ttl, LeaseMargin: o.lease.margin, NodeName: o.nodeName,
		MaxConnections: o.maxConns, TrustForwardedProto: o.trustForwardedProto, ArchiveTTL: archiveTTL})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "semaflow server listening on %s (database %s, %d workflows resumed)\n", a.URL, a.DBPath, len(a.Resumed))
	select {
	case <-guard.Signaled():
	case err := <-a.Failed():
		_ = a.Stop(true)
		return err
	}
	if err := a.Stop(true); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "semaflow server stopped; running steps go on and are resumed on the next start")
	return nil
}

// parseTokenLine reads the fields of one token line. Its errors never
// quote the line: what looks like a namespace may be a token.
func parseTokenLine(fields []string) (server.Token, error) {
	if strings.EqualFold(fields[0], "Bearer") {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return server.Token{}, errors.New(`"Bearer" and no token after it`)
	}
	t := server.Token{Value: fields[0]}
	for j, ns := range strings.Split(strings.Join(fields[1:], ","), ",") {
		if ns == "" {
			continue
		}
		if spec.ValidNamespace(ns) != nil {
			return server.Token{}, fmt.Errorf("namespace %d after the token is not a DNS-1123 label (lower-case letters, digits and '-', at most %d characters): write \"TOKEN ns1,ns2\"", j+1, spec.MaxNamespaceLength)
		}
		t.Namespaces = append(t.Namespaces, ns)
	}
	return t, nil
}

// minTokenLength is the shortest token not warned about: 16 bytes of a
// random string cannot be guessed over HTTP.
const minTokenLength = 16

// readTokens reads one token a line, optionally followed by the
// namespaces it is limited to: "TOKEN ns1,ns2". A leading "Bearer" word
// is dropped, as Argo users keep tokens that way. It refuses a file
// others may read or write and a line it cannot read as its writer
// meant, and warns (never quoting a token) about a file its group may
// read and about short tokens.
func readTokens(path string) ([]server.Token, []string, error) {
	var warnings []string
	if fi, err := os.Stat(path); err == nil {
		// Steps run as another user (nobody): a file others may read
		// would hand them the admin token, one they may write would let
		// them add their own.
		switch perm := fi.Mode().Perm(); {
		case perm&0o006 != 0:
			return nil, nil, fmt.Errorf("--auth-token-file %s may be read or written by others (mode %04o): chmod 600 it", path, perm)
		case perm&0o060 != 0:
			warnings = append(warnings, fmt.Sprintf("--auth-token-file %s is readable or writable by its group (mode %04o): chmod 600 it", path, perm))
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--auth-token-file: %w", err)
	}
	var out []server.Token
	for i, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		t, err := parseTokenLine(fields)
		if err != nil {
			return nil, nil, fmt.Errorf("--auth-token-file %s line %d: %w", path, i+1, err)
		}
		if len(t.Value) < minTokenLength {
			warnings = append(warnings, fmt.Sprintf("--auth-token-file %s line %d: the token is %d bytes, shorter than %d: it may be guessed", path, i+1, len(t.Value), minTokenLength))
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("--auth-token-file %s holds no token", path)
	}
	return out, warnings, nil
}

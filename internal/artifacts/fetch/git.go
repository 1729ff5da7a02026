package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Git is a git input artifact: Argo's fields, secrets already read.
//
// It is cloned with the host's git program rather than go-git: every
// machine that has this project has git (it is how the code arrives), it
// speaks every transport and shallow-fetches a single revision, which
// go-git does not for every server, and it adds no dependencies to the
// binary. A host without git gets an error saying so.
type Git struct {
	Repo     string // a URL (https, http, ssh, git, scp-like user@host:path) or a local path
	Revision string // a commit, tag or branch; the default branch when empty
	Depth    int    // shallow clone of that many commits; 0 is the whole history
	Fetch    []string
	Branch   string
	// SingleBranch clones only Branch (or the default branch).
	SingleBranch      bool
	DisableSubmodules bool
	InsecureSkipTLS   bool
	// Username and Password authenticate over http(s); SSHKey over ssh.
	Username, Password, SSHKey string
	InsecureIgnoreHostKey      bool
	// User, when set, is whom git runs as (the step user of an engine
	// run as root): git then reads no more of the host than a step
	// could, and nothing of the data directory, since it clones into a
	// scratch directory of its own that the engine moves into place.
	User *User
	// Start starts each git process (nil: exec.Cmd.Start): the engine's
	// starts it at its steps' priority, git's work being a workflow's.
	Start func(*exec.Cmd) error
}

// User is an unprivileged uid and gid.
type User struct{ UID, GID uint32 }

// Bounds of submodule recursion: submodules are the repository's to
// name, so their number and nesting are hostile.
const (
	maxSubmoduleDepth = 8
	maxSubmodules     = 64
)

// GitTimeout bounds a whole clone, checkout and submodule update.
const GitTimeout = 10 * time.Minute

// maxGitOutput bounds what is kept of git's own messages for an error.
const maxGitOutput = 4 << 10

// ErrNoGit says the host has no git program.
var ErrNoGit = errors.New("the host has no git program (install git)")

// LoadGit clones g into the directory dst (which must not exist or be
// empty) and checks out its revision. Remote hosts are checked against p;
// a local path is refused when p refuses loopback (a server's files are
// not its users'). tmp is a private directory for credentials files.
func LoadGit(ctx context.Context, g Git, p Policy, dst, tmp string) error {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return ErrNoGit
	}
	repo, err := checkRepo(ctx, g.Repo, p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, GitTimeout)
	defer cancel()
	// Local paths and file:// URLs only where the policy lets workflows
	// read the engine's host (not a server's), submodules included.
	local := checkHost(ctx, p, "127.0.0.1") == nil
	work, into := tmp, dst
	if g.User != nil {
		if work, err = userScratch(g.User); err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(work) }()
		into = filepath.Join(work, "repo")
	}
	env, err := gitEnv(g, work, local)
	if err != nil {
		return err
	}
	run := func(dir string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, gitBin, args...)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		asUser(cmd, g.User)
		cmd.WaitDelay = 5 * time.Second
		if err := runCmd(cmd, g.Start); err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return "", fmt.Errorf("git %s: not done within %s", args[0], GitTimeout)
			}
			if ctx.Err() != nil {
				return "", fmt.Errorf("git %s: %w", args[0], ctx.Err())
			}
			msg := strings.TrimSpace(out.String())
			if len(msg) > maxGitOutput {
				msg = msg[len(msg)-maxGitOutput:]
			}
			return "", fmt.Errorf("git %s: %w: %s", args[0], err, msg)
		}
		return out.String(), nil
	}
	clone := []string{"clone", "--quiet", "--no-checkout"}
	if g.Depth > 0 {
		clone = append(clone, "--depth", strconv.Itoa(g.Depth))
		if !g.SingleBranch {
			clone = append(clone, "--no-single-branch")
		}
	}
	if g.SingleBranch {
		clone = append(clone, "--single-branch")
	}
	if g.Branch != "" {
		clone = append(clone, "--branch", g.Branch)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if _, err := run(filepath.Dir(into), append(clone, "--", repo, into)...); err != nil {
		return err
	}
	for _, spec := range g.Fetch {
		if strings.HasPrefix(spec, "-") {
			return fmt.Errorf("fetch %q: a refspec cannot start with -", spec)
		}
		if _, err := run(into, "fetch", "--quiet", "origin", "--", spec); err != nil {
			return err
		}
	}
	rev := g.Revision
	if rev == "" {
		rev = "HEAD"
	}
	if strings.HasPrefix(rev, "-") {
		return fmt.Errorf("revision %q: cannot start with -", rev)
	}
	if _, err := run(into, "checkout", "--quiet", rev, "--"); err != nil {
		// A shallow clone may lack the revision: fetch it alone, as Argo does.
		fetch := []string{"fetch", "--quiet"}
		if g.Depth > 0 {
			fetch = append(fetch, "--depth", strconv.Itoa(g.Depth))
		}
		if _, ferr := run(into, append(fetch, "origin", "--", rev)...); ferr != nil {
			return fmt.Errorf("revision %q: %w", rev, err)
		}
		if _, err := run(into, "checkout", "--quiet", "FETCH_HEAD", "--"); err != nil {
			return fmt.Errorf("revision %q: %w", rev, err)
		}
	}
	if !g.DisableSubmodules {
		count := 0
		if err := updateSubmodules(ctx, run, p, into, "", 0, &count); err != nil {
			return err
		}
	}
	if into != dst {
		return moveTree(into, dst)
	}
	return nil
}

// updateSubmodules clones dir's submodules one level at a time, each URL
// checked as the repository's own was first: git's --recursive would
// fetch whatever a .gitmodules names (a local path, a loopback host).
func updateSubmodules(ctx context.Context, run func(string, ...string) (string, error), p Policy, dir, prefix string, depth int, count *int) error {
	if _, err := os.Lstat(filepath.Join(dir, ".gitmodules")); err != nil {
		return nil //nolint:nilerr // no submodules
	}
	if depth >= maxSubmoduleDepth {
		return fmt.Errorf("submodules nested over %d deep at %s", maxSubmoduleDepth, prefix)
	}
	// init copies .gitmodules' URLs, relative ones resolved, into the
	// repository's own configuration, where update reads them.
	if _, err := run(dir, "submodule", "init", "--quiet"); err != nil {
		return err
	}
	urls, err := configList(run, dir, "", `^submodule\..*\.url$`)
	if err != nil {
		return err
	}
	for name, u := range urls {
		if *count++; *count > maxSubmodules {
			return fmt.Errorf("over %d submodules", maxSubmodules)
		}
		if _, err := checkRepo(ctx, u, p); err != nil {
			return fmt.Errorf("submodule %s%s: %w", prefix, name, err)
		}
	}
	if len(urls) == 0 {
		return nil
	}
	if _, err := run(dir, "submodule", "update", "--quiet"); err != nil {
		return err
	}
	paths, err := configList(run, dir, ".gitmodules", `^submodule\..*\.path$`)
	if err != nil {
		return err
	}
	for name, sp := range paths {
		if _, ok := urls[name]; !ok || !filepath.IsLocal(sp) {
			continue
		}
		if err := updateSubmodules(ctx, run, p, filepath.Join(dir, sp), prefix+sp+"/", depth+1, count); err != nil {
			return err
		}
	}
	return nil
}

// configList reads git config entries matching re (of file, else the
// repository's configuration) as submodule name -> value.
func configList(run func(string, ...string) (string, error), dir, file, re string) (map[string]string, error) {
	args := []string{"config"}
	if file != "" {
		args = append(args, "--file", file)
	}
	out, err := run(dir, append(args, "--get-regexp", re)...)
	if err != nil {
		// Exit status 1: nothing matches.
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			return nil, nil
		}
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		k = strings.TrimPrefix(k, "submodule.")
		k = k[:max(0, strings.LastIndex(k, "."))]
		m[k] = v
	}
	return m, nil
}

// checkRepo validates a repository reference and checks its host against
// p, returning what to pass to git.
func checkRepo(ctx context.Context, repo string, p Policy) (string, error) {
	repo = strings.TrimSpace(repo)
	switch {
	case repo == "":
		return "", errors.New("no repo")
	case strings.HasPrefix(repo, "-"):
		return "", fmt.Errorf("repo %q: cannot start with -", repo)
	case strings.Contains(repo, "::"):
		// git's remote helpers (ext::, fd::) run commands: never from a manifest.
		return "", fmt.Errorf("repo %q: git remote helpers (transport::address) are not allowed", repo)
	}
	if filepath.IsAbs(repo) || strings.HasPrefix(repo, "file://") {
		if err := checkHost(ctx, p, "127.0.0.1"); err != nil {
			return "", fmt.Errorf("repo %s is a path on the engine's host, which a server's workflows may not read: %w", repo, err)
		}
		return repo, nil
	}
	var host string
	if u, err := url.Parse(repo); err == nil && u.Scheme != "" && u.Host != "" {
		switch u.Scheme {
		case "https", "http", "ssh", "git":
		default:
			return "", fmt.Errorf("repo %q: scheme %s: want https, http, ssh, git or a local path", redact(u), u.Scheme)
		}
		host = u.Hostname()
		repo = u.String()
	} else if at, colon := strings.Index(repo, "@"), strings.Index(repo, ":"); colon > 0 && (at < 0 || at < colon) {
		host = repo[at+1 : colon] // scp-like: user@host:path
	} else {
		return "", fmt.Errorf("repo %q: want a URL (https://host/repo.git, user@host:repo.git) or an absolute local path", repo)
	}
	if err := checkHost(ctx, p, host); err != nil {
		return "", fmt.Errorf("repo %s: %w", host, err)
	}
	return repo, nil
}

// gitEnv is git's whole environment: nothing of the engine's (its
// configuration, credentials, proxy), no prompts, only plain transports;
// credentials travel in the environment or a private file, never on a
// command line another user could read.
func gitEnv(g Git, tmp string, local bool) ([]string, error) {
	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	// safe.directory in a global file: git drops its command-line
	// configuration for the upload-pack of a local repository, which
	// then refuses one owned by another user than git's.
	global := filepath.Join(home, "gitconfig")
	if err := os.WriteFile(global, []byte("[safe]\n\tdirectory = *\n"), 0o600); err != nil {
		return nil, err
	}
	for _, p := range []string{home, global} {
		if err := chownTo(p, g.User); err != nil {
			return nil, err
		}
	}
	protocols := "git:http:https:ssh"
	if local {
		protocols = "file:" + protocols
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + global,
		"GIT_ALLOW_PROTOCOL=" + protocols,
	}
	// No redirects: the policy checked the URL's host, not where a
	// redirect leads (git connects by itself).
	cfg := [][2]string{{"http.followRedirects", "false"}, {"safe.directory", "*"}}
	if local {
		// Submodules of a local repository are local too.
		cfg = append(cfg, [2]string{"protocol.file.allow", "always"})
	}
	if g.InsecureSkipTLS {
		cfg = append(cfg, [2]string{"http.sslVerify", "false"})
	}
	if g.Username != "" || g.Password != "" {
		askpass := filepath.Join(tmp, "askpass")
		// The script answers git's prompts from the environment, so the
		// secret is never in a file or on a command line.
		script := "#!/bin/sh\ncase \"$1\" in Username*) printf '%s\\n' \"$SEMAFLOW_GIT_USER\";; *) printf '%s\\n' \"$SEMAFLOW_GIT_PASS\";; esac\n"
		if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
			return nil, err
		}
		if err := chownTo(askpass, g.User); err != nil {
			return nil, err
		}
		env = append(env, "GIT_ASKPASS="+askpass, "SEMAFLOW_GIT_USER="+g.Username, "SEMAFLOW_GIT_PASS="+g.Password)
	}
	ssh := []string{"ssh", "-o", "BatchMode=yes"}
	if g.SSHKey != "" {
		key := filepath.Join(tmp, "ssh-key")
		if err := os.WriteFile(key, []byte(strings.TrimSpace(g.SSHKey)+"\n"), 0o600); err != nil {
			return nil, err
		}
		if err := chownTo(key, g.User); err != nil {
			return nil, err
		}
		ssh = append(ssh, "-i", key, "-o", "IdentitiesOnly=yes")
	}
	if g.InsecureIgnoreHostKey {
		ssh = append(ssh, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null")
	}
	env = append(env, "GIT_SSH_COMMAND="+strings.Join(ssh, " "))
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(cfg)))
	for i, kv := range cfg {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	return env, nil
}

// runCmd runs cmd, started by start (nil: cmd.Start).
func runCmd(cmd *exec.Cmd, start func(*exec.Cmd) error) error {
	if start == nil {
		return cmd.Run()
	}
	if err := start(cmd); err != nil {
		return err
	}
	return cmd.Wait()
}

package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvPostgres names a PostgreSQL server for the tests to use instead of
// starting their own: a DSN whose user may create databases.
const EnvPostgres = "SEMAFLOW_TEST_POSTGRES"

// installHint is what a machine without PostgreSQL is told: the tests
// that need it fail rather than skip, so a missing server is never
// mistaken for a pass.
const installHint = "install PostgreSQL: apt-get install postgresql"

// Postgres is a throwaway PostgreSQL server for tests: a cluster made by
// initdb in a temporary directory, listening on 127.0.0.1 with trust
// authentication and fsync off, or the server EnvPostgres names. Tests
// get databases of their own from NewDatabase; a server of their own
// (NewPostgres) can be stopped, killed and started again under them.
type Postgres struct {
	// external is EnvPostgres's DSN when the server is not ours.
	external string

	bin  string // directory of initdb and postgres
	root string // temporary directory: data/ and server.log
	port int
	cred *syscall.Credential // the server's user when we are root

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd ended
}

// shared is the one server of a test process (StartPostgres).
var shared struct {
	once sync.Once
	pg   *Postgres
	err  error
}

// mainStarted says that the package's TestMain is testkit's, which stops
// the shared server when the tests end.
var mainStarted bool

// PostgresMain is a TestMain for packages whose tests use StartPostgres
// but need no semaflow binary: it runs the tests, then stops the server.
// (Main does the same for packages that also run steps.)
func PostgresMain(m *testing.M) {
	mainStarted = true
	code := m.Run()
	stopShared()
	os.Exit(code)
}

func stopShared() {
	if shared.pg != nil {
		_ = shared.pg.destroy()
	}
}

// StartPostgres gives the test process's shared server, starting it at
// the first call; it is stopped and removed when the tests end, so the
// package's TestMain must be Main or PostgresMain. Tests must not stop it:
// one that restarts PostgreSQL under itself takes a NewPostgres.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	if !mainStarted {
		tb.Fatal("testkit: StartPostgres needs the package's TestMain to call testkit.Main or testkit.PostgresMain, which stop the server at the end")
	}
	shared.once.Do(func() {
		if dsn := os.Getenv(EnvPostgres); dsn != "" {
			shared.pg = &Postgres{external: dsn}
			return
		}
		shared.pg, shared.err = startLocal()
	})
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.pg
}

// NewPostgres starts a server for this test alone, whatever EnvPostgres
// says (the test means to stop or kill it), and removes it when the test
// ends.
func NewPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	p, err := startLocal()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.destroy() })
	return p
}

// NewDatabase makes an empty database on the shared server for this test
// and returns its DSN; it is dropped when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return StartPostgres(tb).NewDatabase(tb)
}

// NewDatabase makes an empty database on p for this test and returns its
// DSN; it is dropped when the test ends (if the server is up then).
func (p *Postgres) NewDatabase(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "semaflow_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.admin(ctx, `CREATE DATABASE `+name); err != nil {
		tb.Fatalf("testkit: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = p.admin(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return p.DSN(name)
}

// admin runs one statement in the server's maintenance database.
func (p *Postgres) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, p.DSN(""))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// DSN is the address of database db on p; "" means the server's
// maintenance database.
func (p *Postgres) DSN(db string) string {
	if p.external != "" {
		return withDatabase(p.external, db)
	}
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// withDatabase puts db into a DSN, in URL or keyword=value form.
func withDatabase(dsn, db string) string {
	if db == "" {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		return u.String()
	}
	return dsn + " dbname=" + db
}

// Addr is the server's host:port.
func (p *Postgres) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
}

// errExternal refuses to stop a server the tests did not start.
var errExternal = errors.New("testkit: the server " + EnvPostgres + " names is not the tests' to stop or start: use NewPostgres")

// Stop shuts the server down (fast shutdown: sessions are ended, what
// was committed is kept) and waits for it.
func (p *Postgres) Stop() error {
	if p.external != "" {
		return errExternal
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLocked(syscall.SIGINT, 30*time.Second)
}

// Kill ends the server and all its processes at once with SIGKILL, as a
// crash of its machine would (though the files keep what was written).
func (p *Postgres) Kill() error {
	if p.external != "" {
		return errExternal
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLocked(syscall.SIGKILL, 30*time.Second)
}

// Start starts a stopped or killed server again on the same port (after
// a kill, PostgreSQL recovers first) and waits until it accepts
// connections.
func (p *Postgres) Start() error {
	if p.external != "" {
		return errExternal
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return errors.New("testkit: the PostgreSQL server is running already")
	}
	return p.startLocked()
}

// Restart is Stop then Start.
func (p *Postgres) Restart() error {
	if err := p.Stop(); err != nil {
		return err
	}
	return p.Start()
}

// startLocal makes a cluster in a temporary directory and starts it.
func startLocal() (*Postgres, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	p := &Postgres{bin: bin}
	if p.root, err = os.MkdirTemp("", "semaflow-pg-"); err != nil {
		return nil, err
	}
	if err := p.initdb(); err != nil {
		_ = os.RemoveAll(p.root)
		return nil, err
	}
	// A free port now may be taken by the time the server binds it (other
	// test processes start servers too): a few tries.
	for try := 0; ; try++ {
		if p.port, err = freePort(); err != nil {
			break
		}
		p.mu.Lock()
		err = p.startLocked()
		p.mu.Unlock()
		if err == nil || try == 4 || !strings.Contains(err.Error(), "could not bind") {
			break
		}
	}
	if err != nil {
		_ = os.RemoveAll(p.root)
		return nil, err
	}
	return p, nil
}

// postgresBin finds the directory of initdb and postgres: where PATH's
// initdb really is, else the newest /usr/lib/postgresql/*/bin.
func postgresBin() (string, error) {
	var dirs []string
	if path, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(path))
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(found, func(i, j int) bool { return pgVersion(found[i]) > pgVersion(found[j]) })
	dirs = append(dirs, found...)
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("testkit: no initdb and postgres in PATH or /usr/lib/postgresql/*/bin: %s", installHint)
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// initdb makes the cluster. PostgreSQL refuses to run as root, so as root
// it runs as the postgres user (nobody when there is none), who is given
// the directory.
func (p *Postgres) initdb() error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			if u, err = user.Lookup("nobody"); err != nil {
				return fmt.Errorf("testkit: PostgreSQL will not run as root, and there is no postgres or nobody user to run it as: %w", err)
			}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(p.root, uid, gid); err != nil {
			return fmt.Errorf("testkit: give %s to the postgres user: %w", p.root, err)
		}
	}
	cmd := exec.Command(filepath.Join(p.bin, "initdb"), "-D", p.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Env = p.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testkit: initdb: %w\n%s", err, out)
	}
	return nil
}

func (p *Postgres) dataDir() string { return filepath.Join(p.root, "data") }
func (p *Postgres) logPath() string { return filepath.Join(p.root, "server.log") }

func (p *Postgres) env() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC", "HOME=" + p.root}
}

// startLocked starts the postmaster in a process group of its own (a
// terminal's signals are not its) and waits until it takes connections.
// p.mu is held.
func (p *Postgres) startLocked() error {
	logf, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	// fsync off: what a commit wrote reaches the kernel, which keeps it
	// across a kill of every PostgreSQL process (Kill), though not across
	// a crash of the machine. synchronous_commit stays on, so that a
	// killed server keeps every commit it acknowledged, as a real one does.
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.dataDir(), "-p", strconv.Itoa(p.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB")
	cmd.Env = p.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	// Pdeathsig: should the test process die without stopping it (a
	// timeout's panic), the server shuts down rather than linger.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testkit: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-exited:
			p.cmd = nil
			return fmt.Errorf("testkit: postgres exited at start:\n%s", p.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, p.DSN(""))
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			_ = p.stopLocked(syscall.SIGKILL, 10*time.Second)
			return fmt.Errorf("testkit: postgres did not take connections within a minute: %w\n%s", err, p.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopLocked signals the server and waits up to wait before killing it.
// p.mu is held. SIGKILL goes to the postmaster and every backend at once:
// backends leave the postmaster's process group (setsid), and one that
// outlived its postmaster would still commit what it was doing.
func (p *Postgres) stopLocked(sig syscall.Signal, wait time.Duration) error {
	if p.cmd == nil {
		return nil
	}
	pid := p.cmd.Process.Pid
	if sig == syscall.SIGKILL {
		killAll(pid)
	} else {
		_ = p.cmd.Process.Signal(sig)
	}
	select {
	case <-p.exited:
	case <-time.After(wait):
		killAll(pid)
		<-p.exited
	}
	p.cmd = nil
	return nil
}

// killAll kills the postmaster pid and its children, and waits, a
// bounded time, until they are gone: a new postmaster refuses to start
// while old backends hold the shared memory. The postmaster is stopped
// first so that it forks no child meanwhile.
func killAll(pid int) {
	_ = syscall.Kill(pid, syscall.SIGSTOP)
	pids := append(children(pid), pid)
	for _, c := range pids {
		_ = syscall.Kill(c, syscall.SIGKILL)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range pids {
		for time.Now().Before(deadline) {
			if err := syscall.Kill(c, 0); errors.Is(err, syscall.ESRCH) || zombie(c) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// children lists the processes whose parent is pid, from /proc.
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _ := procStat(c); ppid == pid {
			out = append(out, c)
		}
	}
	return out
}

// procStat reads a process's parent and state from /proc/PID/stat, whose
// command field may hold spaces and parentheses: the fields follow its
// last ')'.
func procStat(pid int) (ppid int, state string) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, ""
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, ""
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0]
}

// zombie says whether pid has ended and waits only for its parent to
// reap it (a backend whose postmaster is dead is reaped by init).
func zombie(pid int) bool {
	_, state := procStat(pid)
	return state == "Z"
}

// destroy stops the server and removes its files.
func (p *Postgres) destroy() error {
	if p.external != "" {
		return nil
	}
	p.mu.Lock()
	err := p.stopLocked(syscall.SIGINT, 30*time.Second)
	p.mu.Unlock()
	return errors.Join(err, os.RemoveAll(p.root))
}

// logTail is the end of the server's log, for a failure message.
func (p *Postgres) logTail() string {
	b, err := os.ReadFile(p.logPath())
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one `semaflow server` with its own database, started for one
// test so that tests share no templates, names or locks.
type server struct {
	bin, dir, addr string
	cmd            *exec.Cmd
	exited         chan struct{}
	log            *os.File
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func startServer(bin, dir string) (*server, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin, dir: dir, addr: addr, log: logf, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "server", "--db", filepath.Join(dir, "sf.db"), "--addr", addr)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start %s server: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("semaflow server exited at start; see %s", logf.Name())
		default:
		}
		resp, err := http.Get("http://" + addr + "/api/v1/version")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("semaflow server on %s not ready after 15 s; see %s", addr, logf.Name())
}

// cli runs a semaflow client command against this server.
func (s *server) cli(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append(args, "--server", s.addr)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

var errNotFound = errors.New("not found")

func (s *server) get(ns, name string) (*workflow, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + s.addr + "/api/v1/workflows/" + ns + "/" + name)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, errNotFound
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET workflow %s/%s: %s: %s", ns, name, resp.Status, bytes.TrimSpace(body))
	}
	var w workflow
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("GET workflow %s/%s: %w", ns, name, err)
	}
	w.raw = body
	return &w, nil
}

// stop ends the server and every step supervisor it left (SIGTERM leaves
// steps to their supervisors; a stuck test must not leave work running).
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	killLeftovers(filepath.Join(s.dir, "sf.db.data"))
	_ = s.log.Close()
}

// killLeftovers kills, by pid, the processes whose command line names this
// test's own data directory: the step supervisors of its server.
func killLeftovers(marker string) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), marker) {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// Package testredis starts real redis-server processes on free loopback
// ports for tests. It fails the test (it does not skip) when redis-server is
// missing: `make test` and .ci/run install it.
package testredis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Server is a running redis-server.
type Server struct {
	t      testing.TB
	Port   int
	cmd    *exec.Cmd
	extra  []string
	client *goredis.Client
}

// Start starts a redis-server without persistence on a free port and stops
// it when the test ends.
func Start(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not found on PATH (apt-get install redis-server, or run `make test`): %v", err)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{t: t, Port: port, extra: extraArgs}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.Port) }

func (s *Server) start() error {
	args := append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"}, s.extra...)
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Port) == nil {
			return nil
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(10 * time.Millisecond) // readiness poll, not synchronisation
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	return fmt.Errorf("redis-server on port %d did not answer PING", s.Port)
}

// Stop kills the server (idempotent).
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Freeze stops the server's process (SIGSTOP): connections stay open and
// nothing is answered, as from a hung Redis. Stop still ends it.
func (s *Server) Freeze() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("freeze redis-server: %v", err)
	}
}

// Restart kills the server and starts an empty one on the same port, as a
// crashed Redis without persistence comes back.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart redis-server: %v", err)
	}
}

func ping(port int) error {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	// An unauthenticated PING gets -NOAUTH from a server with a password:
	// that too says it is up.
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Client is a plain go-redis client of the server, closed when the test
// ends: to look at what the registry leaves in Redis.
func (s *Server) Client() *goredis.Client {
	if s.client == nil {
		s.client = goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:" + strconv.Itoa(s.Port)})
		s.t.Cleanup(func() { s.client.Close() })
	}
	return s.client
}

// Keys lists the keys of a sandhost namespace.
func (s *Server) Keys(ns string) []string {
	s.t.Helper()
	keys, err := s.Client().Keys(context.Background(), "sandhost:{"+ns+"}:*").Result()
	if err != nil {
		s.t.Fatal(err)
	}
	return keys
}

// UsedMemory is the server's used_memory in bytes.
func (s *Server) UsedMemory() int64 {
	s.t.Helper()
	info, err := s.Client().Info(context.Background(), "memory").Result()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				s.t.Fatal(err)
			}
			return n
		}
	}
	s.t.Fatal("no used_memory in INFO memory")
	return 0
}

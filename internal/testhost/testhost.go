// Package testhost builds the host binary and runs `host serve` processes
// for integration tests and benchmarks.
package testhost

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/host once per test process and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "sandhost-host")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "host")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/host")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build host: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// Proc is a running `host serve` process.
type Proc struct {
	ID  string
	Cmd *exec.Cmd
}

// Start starts `host serve --redis URL --namespace NS EXTRA...` and waits
// for its "ready" line; the process is killed when the test ends.
func Start(tb testing.TB, redisURL, ns string, extra ...string) *Proc {
	tb.Helper()
	return StartEnv(tb, nil, redisURL, ns, extra...)
}

// StartEnv is Start with extra environment variables (KEY=VALUE).
func StartEnv(tb testing.TB, env []string, redisURL, ns string, extra ...string) *Proc {
	tb.Helper()
	args := append([]string{"serve", "--redis", redisURL, "--namespace", ns}, extra...)
	cmd := exec.Command(Binary(tb), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Proc{Cmd: cmd}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				tb.Fatalf("host exited before ready: %s", stderr.String())
			}
			if f := strings.Fields(l); len(f) > 1 && f[0] == "host" {
				p.ID = f[1]
			}
			if l == "ready" {
				go func() {
					for range lines {
					}
				}()
				return p
			}
		case <-timeout:
			tb.Fatalf("host not ready after 20s: %s", stderr.String())
		}
	}
}

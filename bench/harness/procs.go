package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/bench/scoring"
	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/sandbox"
)

// ErrConfig is a Config the harness cannot run.
var ErrConfig = errors.New("harness: bad config")

// ErrNotReady: a process the harness started did not say it was ready.
var ErrNotReady = errors.New("harness: process not ready")

// readyTimeout bounds a started process's start-up (a host serve under
// -race on a loaded 2-core machine takes seconds).
const readyTimeout = time.Minute

// proc is a child process the harness started; stop kills it.
type proc struct {
	cmd *exec.Cmd
}

// stop interrupts the process (a host leaves its namespace, deleting its
// keys) and kills it if it has not exited within stopGrace.
func (p *proc) stop() {
	if p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopGrace):
		p.cmd.Process.Kill()
		<-done
	}
}

// stopGrace is how long a stopped process has to exit on its own.
const stopGrace = 10 * time.Second

// startReady starts cmd and waits for a line equal to ready on its stdout,
// returning the lines before it; the rest of stdout is drained.
func startReady(ctx context.Context, cmd *exec.Cmd, ready string) (*proc, []string, error) {
	var stderr strings.Builder
	cmd.Stderr = &limitWriter{w: &stderr, n: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("harness: start %s: %w", cmd.Path, err)
	}
	p := &proc{cmd: cmd}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var before []string
	timeout := time.NewTimer(readyTimeout)
	defer timeout.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				p.stop()
				return nil, nil, fmt.Errorf("%w: %s exited: %s", ErrNotReady, strings.Join(cmd.Args, " "), stderr.String())
			}
			if l == ready {
				go func() {
					for range lines {
					}
				}()
				return p, before, nil
			}
			before = append(before, l)
		case <-timeout.C:
			p.stop()
			return nil, nil, fmt.Errorf("%w: %s after %s: %s", ErrNotReady, strings.Join(cmd.Args, " "), readyTimeout, stderr.String())
		case <-ctx.Done():
			p.stop()
			return nil, nil, ctx.Err()
		}
	}
}

// limitWriter keeps the first n bytes written to w.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(b []byte) (int, error) {
	if l.n > 0 {
		k := min(len(b), l.n)
		l.w.Write(b[:k])
		l.n -= k
	}
	return len(b), nil
}

// startHost starts `host serve` joining url's namespace ns.
func startHost(ctx context.Context, bin, url, ns string) (*proc, error) {
	p, _, err := startReady(ctx, exec.Command(bin, "serve", "--redis", url, "--namespace", ns), "ready")
	return p, err
}

// startEcho starts the bare baseline's server: `host bench --serve-echo`.
func startEcho(ctx context.Context, bin, url string) (*proc, error) {
	p, _, err := startReady(ctx, exec.Command(bin, "bench", "--serve-echo", url), "ready")
	return p, err
}

// startRedis starts a redis-server without persistence on a free loopback
// port and returns it with its URL.
func startRedis(ctx context.Context) (*proc, string, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, "", fmt.Errorf("harness: redis-server not installed: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &proc{cmd: cmd}
	url := "redis://127.0.0.1:" + port
	opt, _ := goredis.ParseURL(url)
	c := goredis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(readyTimeout)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, "", fmt.Errorf("%w: redis-server on port %s", ErrNotReady, port)
		}
		time.Sleep(20 * time.Millisecond) // readiness poll
	}
	return p, url, nil
}

// systemPython is the baselines' system interpreter resolved to its
// executable: /usr/bin/python3 when present (version managers' shims cost
// tens of milliseconds a start), else python3 on PATH.
func systemPython(ctx context.Context, given string) (string, error) {
	if given == "" {
		given = "python3"
		if _, err := os.Stat("/usr/bin/python3"); err == nil {
			given = "/usr/bin/python3"
		}
	}
	return scoring.ResolvePython(ctx, given)
}

// nativeBuild is the natively built CPython of the wasm build's tree (the
// same sources and version), "" when the tree is gone.
func nativeBuild(ctx context.Context, given string) string {
	if given != "" {
		return given
	}
	a, err := pyexec.FindArtefacts("")
	if err != nil {
		return ""
	}
	key := manifest(a.Dir)["cpython_build_key"]
	if key == "" {
		return ""
	}
	py := filepath.Join(sandbox.CacheRoot(), "build", key, "cpython", "cross-build", "build", "python")
	if err := exec.CommandContext(ctx, py, "-S", "-c", "pass").Run(); err != nil {
		return ""
	}
	return py
}

// ErrFailed: code a figure runs did not pass, so the figure is not made.
var ErrFailed = errors.New("harness: the measured code failed")

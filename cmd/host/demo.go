package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/registry"
)

func init() {
	commands["demo"] = &command{summary: "a self-contained tour on the embedded default", usage: "(no arguments)",
		redis: "not used: the demo starts an embedded Redis of its own",
		setup: noFlags(runDemo)}
}

// runDemo starts an embedded Redis, a second host process, registers and
// calls services across the two, kills the second host and shows its
// services vanish.
func runDemo(ctx context.Context, g *globals, args []string) error {
	if err := needArgs(args, 0, "no arguments"); err != nil {
		return err
	}
	if g.json {
		// A tour is for reading; its steps are no record a script could use.
		return usagef("--json: the demo is a text tour and has no JSON output")
	}
	out := g.stdout
	step := func(format string, a ...any) { fmt.Fprintf(out, "\n== "+format+"\n", a...) }

	step("1. open the registry on the embedded default (an in-process Redis)")
	r, err := registry.Open(ctx, "", registry.WithNamespace("demo"), registry.WithHeartbeatTTL(2*time.Second))
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Fprintf(out, "this host: %s\nother hosts join with: host serve --redis %s --namespace demo\n", r.HostID(), r.Addr())

	step("2. start a second host process and wait until it is ready")
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.CommandContext(ctx, exe, "serve", "--redis", r.Addr(), "--namespace", "demo")
	child.Stderr = g.stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	exited, err := startChild(child)
	if err != nil {
		return fmt.Errorf("start second host: %w", err)
	}
	defer func() { child.Process.Kill(); <-exited }()
	sc := bufio.NewScanner(stdout)
	for ready := false; !ready; {
		if !sc.Scan() {
			return fmt.Errorf("second host exited before it was ready (%v)", sc.Err())
		}
		fmt.Fprintf(out, "  [pid %d] %s\n", child.Process.Pid, sc.Text())
		ready = sc.Text() == "ready"
	}

	step("3. register services: one here, one placed on the other host by a client")
	counter, err := r.Register(ctx, "counter", "value", registry.WithArgs(map[string]int{"value": 41}))
	if err != nil {
		return err
	}
	client, err := registry.Open(ctx, r.Addr(), registry.WithNamespace("demo"), registry.ClientOnly())
	if err != nil {
		return err
	}
	_, err = client.Register(ctx, "tokenizer", "tokenizer", registry.WithArgs(registry.TokenizerArgs{VocabSize: 50000}), registry.WithMaxConcurrency(32))
	client.Close() // the service outlives the client that registered it
	if err != nil {
		return err
	}
	tok, err := r.Get(ctx, "tokenizer")
	if err != nil {
		return err
	}
	specs, err := r.Specs(ctx)
	if err != nil {
		return err
	}
	for _, s := range specs {
		where := "this host"
		if s.Owner != r.HostID() {
			where = "host " + s.Owner
		}
		fmt.Fprintf(out, "  %-10s factory %-10s on %s\n", s.Name, s.Factory, where)
	}

	step("4. call them (the tokenizer through Redis, the counter in-process)")
	toks, err := registry.CallJSON[[]int](ctx, tok, "encode", "hello world")
	if err != nil {
		return err
	}
	text, err := registry.CallJSON[string](ctx, tok, "decode", toks)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  tokenizer.encode(\"hello world\") = %v (%d tokens) -> decode = %q\n", toks, len(toks), text)
	v, err := registry.CallJSON[int](ctx, counter, "get", nil)
	if err != nil {
		return err
	}
	v2, err := registry.CallJSON[int](ctx, counter, "set", v+1)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  counter.get = %d, counter.set(%d) = %d\n", v, v+1, v2)

	lat := make([]time.Duration, 500)
	for i := range lat {
		t0 := time.Now()
		if _, err := tok.Call(ctx, "encode", []byte(`"hi"`)); err != nil {
			return err
		}
		lat[i] = time.Since(t0)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Fprintf(out, "  500 cross-process calls: p50 %v, p99 %v\n", lat[250].Round(time.Microsecond), lat[495].Round(time.Microsecond))

	step("5. the sandboxed Python executor, placed on the other host")
	if err := demoPython(ctx, out, r); err != nil {
		fmt.Fprintf(out, "  skipped: %v\n", err)
	}

	step("6. kill the second host (SIGKILL): its services vanish")
	child.Process.Signal(syscall.SIGKILL)
	t0 := time.Now()
	pending := make(chan error, 1)
	go func() {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := tok.Call(c, "encode", []byte(`"x"`))
		pending <- err
	}()
	for {
		ok, err := r.Contains(ctx, "tokenizer")
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if time.Since(t0) > 15*time.Second {
			return fmt.Errorf("tokenizer still listed %v after its host died", time.Since(t0))
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(out, "  tokenizer gone from the registry after %v\n", time.Since(t0).Round(10*time.Millisecond))
	fmt.Fprintf(out, "  a call sent to it after the kill: %v\n", <-pending)
	names, err := r.List(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  services now: %s\n", strings.Join(names, ", "))

	step("7. reset the namespace")
	if err := r.Reset(ctx); err != nil {
		return err
	}
	if names, err = r.List(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "  services after reset: %d\n\ndemo done.\n", len(names))
	return nil
}

// startChild starts cmd, which ends when this process does, even killed
// outright (setParentDeathSignal), and returns what its Wait returns once
// it has exited. Linux signals the child when the thread that started it
// ends, and the runtime ends threads of goroutines that exit locked to
// them: the thread is kept, locked, until the child exits.
func startChild(cmd *exec.Cmd) (<-chan error, error) {
	setParentDeathSignal(cmd)
	started, exited := make(chan error, 1), make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return exited, nil
}

func demoPython(ctx context.Context, out io.Writer, r *registry.Registry) error {
	client, err := registry.Open(ctx, r.Addr(), registry.WithNamespace("demo"), registry.ClientOnly())
	if err != nil {
		return err
	}
	defer client.Close()
	t0 := time.Now()
	if _, err := client.Register(ctx, "python_executor", "python_executor",
		registry.WithArgs(pyexec.ServiceArgs{PoolSize: 2, Timeout: 5 * time.Second}), registry.WithMaxConcurrency(2)); err != nil {
		return err
	}
	fmt.Fprintf(out, "  python_executor (pool of 2) ready in %v\n", time.Since(t0).Round(time.Millisecond))
	h, err := r.Get(ctx, "python_executor")
	if err != nil {
		return err
	}
	for _, c := range []struct{ what, code string }{
		{"compute", "import statistics; print(statistics.mean([1, 2, 3, 4]))"},
		{"read a host file", "open('/etc/passwd').read()"},
		{"loop forever (timeout 0.3 s)", "while True: pass"},
		{"exit", "import sys; sys.exit(3)"},
		{"still serving", "print('hello from the sandbox')"},
	} {
		req := pyexec.Request{Code: c.code}
		if strings.Contains(c.what, "timeout") {
			req.Timeout = 300 * time.Millisecond
		}
		res, err := registry.CallJSON[pyexec.Result](ctx, h, "execute", req)
		if err != nil {
			return err
		}
		msg := strings.TrimSpace(res.Stdout)
		if !res.Passed {
			lines := strings.Split(strings.TrimSpace(res.Stderr), "\n")
			msg = fmt.Sprintf("failed (%s, return code %d) %s", res.Failure, res.ReturnCode, lines[len(lines)-1])
		}
		fmt.Fprintf(out, "  %-30s %s  [%v]\n", c.what+":", msg, res.Duration.Round(10*time.Microsecond))
	}
	return nil
}

// Package test holds the cross-host integration tests: real redis-server,
// real `host` processes, and the CLI as client processes.
package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

func startHost(t *testing.T, redisURL, ns string, extra ...string) *testhost.Proc {
	t.Helper()
	return testhost.Start(t, redisURL, ns, extra...)
}

// cli runs the host CLI as a client process.
func cli(t *testing.T, redisURL, ns string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testhost.Binary(t), args...)
	cmd.Env = append(os.Environ(), "SANDHOST_REDIS="+redisURL, "SANDHOST_NAMESPACE="+ns)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func mustCLI(t *testing.T, redisURL, ns string, args ...string) string {
	t.Helper()
	out, errOut, code := cli(t, redisURL, ns, args...)
	if code != 0 {
		t.Fatalf("host %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func listJSON(t *testing.T, redisURL, ns string) []string {
	t.Helper()
	var names []string
	if err := json.Unmarshal([]byte(mustCLI(t, redisURL, ns, "list", "--json")), &names); err != nil {
		t.Fatal(err)
	}
	return names
}

func specOf(t *testing.T, redisURL, ns, name string) registry.Spec {
	t.Helper()
	var s registry.Spec
	if err := json.Unmarshal([]byte(mustCLI(t, redisURL, ns, "get", name)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond until it holds or the deadline passes; it reports how
// long that took. Polling a condition with a deadline is how a test
// observes something that happens in another process on its own clock.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > limit {
			t.Fatalf("%s: not after %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(t0)
}

func TestCrossHostVisibilityStateAndIsolation(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	a := startHost(t, url, "train")
	b := startHost(t, url, "train")
	startHost(t, url, "eval")

	// A client registers two services; placement spreads them over the hosts.
	mustCLI(t, url, "train", "register", "v1", "value", "--args", `{"value": 111}`)
	mustCLI(t, url, "train", "register", "v2", "value", "--args", `{"value": 0}`)
	owners := map[string]bool{specOf(t, url, "train", "v1").Owner: true, specOf(t, url, "train", "v2").Owner: true}
	if !owners[a.ID] || !owners[b.ID] {
		t.Fatalf("services placed on %v, want one on each of %s and %s", owners, a.ID, b.ID)
	}
	mustCLI(t, url, "eval", "register", "v1", "value", "--args", `{"value": 222}`)

	if got := listJSON(t, url, "train"); fmt.Sprint(got) != "[v1 v2]" {
		t.Fatalf("train list = %v", got)
	}
	if got := listJSON(t, url, "eval"); fmt.Sprint(got) != "[v1]" {
		t.Fatalf("eval list = %v", got)
	}
	if got := strings.TrimSpace(mustCLI(t, url, "train", "call", "v1", "get")); got != "111" {
		t.Fatalf("train v1 = %s", got)
	}
	if got := strings.TrimSpace(mustCLI(t, url, "eval", "call", "v1", "get")); got != "222" {
		t.Fatalf("eval v1 = %s", got)
	}

	// Stateful: one client process sets, another reads; a Go client in this
	// process reads too.
	mustCLI(t, url, "train", "call", "v2", "set", "10")
	if got := strings.TrimSpace(mustCLI(t, url, "train", "call", "v2", "get")); got != "10" {
		t.Fatalf("v2 after set = %s, want 10", got)
	}
	r, err := registry.Open(context.Background(), url, registry.WithNamespace("train"), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := r.Get(context.Background(), "v2")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := registry.CallJSON[int](context.Background(), h, "get", nil); err != nil || v != 10 {
		t.Fatalf("Go client read %d, %v; want 10", v, err)
	}

	// Errors reach the CLI with meaningful exit codes.
	if _, e, code := cli(t, url, "train", "get", "nope"); code != 1 || !strings.Contains(e, "not found") || !strings.Contains(e, "v1") {
		t.Fatalf("get missing: exit %d, %q", code, e)
	}
	if _, _, code := cli(t, url, "train", "call", "v1"); code != 2 {
		t.Fatalf("call without method: exit %d, want 2", code)
	}
	if _, e, code := cli(t, url, "train", "register", "v1", "value"); code != 1 || !strings.Contains(e, "already exists") {
		t.Fatalf("duplicate register: exit %d, %q", code, e)
	}

	// Reset stops train's services on both hosts and leaves eval alone.
	mustCLI(t, url, "train", "reset")
	if got := listJSON(t, url, "train"); len(got) != 0 {
		t.Fatalf("train after reset = %v", got)
	}
	if _, e, code := cli(t, url, "train", "call", "v1", "get"); code != 1 || !strings.Contains(e, "not found") {
		t.Fatalf("call after reset: exit %d, %q", code, e)
	}
	if got := strings.TrimSpace(mustCLI(t, url, "eval", "call", "v1", "get")); got != "222" {
		t.Fatalf("eval v1 after train reset = %s", got)
	}
	// Both hosts report no services any more (they stopped them).
	waitFor(t, 5*time.Second, "hosts report zero services", func() bool {
		var hs []registry.HostInfo
		json.Unmarshal([]byte(mustCLI(t, url, "train", "hosts", "--json")), &hs)
		n := 0
		for _, h := range hs {
			n += h.Services
		}
		return len(hs) == 2 && n == 0
	})
}

func TestPlacementByResources(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	gpu := startHost(t, url, "p", "--gpus", "1")
	startHost(t, url, "p")
	mustCLI(t, url, "p", "register", "model", "tokenizer", "--args", `{"vocab_size": 100}`, "--gpus", "1")
	if owner := specOf(t, url, "p", "model").Owner; owner != gpu.ID {
		t.Fatalf("GPU service placed on %s, want the GPU host %s", owner, gpu.ID)
	}
	// The only GPU is taken now.
	if _, e, code := cli(t, url, "p", "register", "model2", "tokenizer", "--args", `{"vocab_size": 100}`, "--gpus", "1"); code != 1 || !strings.Contains(e, "resources") {
		t.Fatalf("second GPU service: exit %d, %q", code, e)
	}
	if _, e, code := cli(t, url, "p", "register", "x", "no-such-factory"); code != 1 || !strings.Contains(e, "unknown factory") {
		t.Fatalf("unknown factory: exit %d, %q", code, e)
	}
	// Constructor errors come back to the client and leave no entry.
	if _, e, code := cli(t, url, "p", "register", "bad", "tokenizer", "--args", `{"vocab_size": 0}`); code != 1 || !strings.Contains(e, "vocab_size") {
		t.Fatalf("bad args: exit %d, %q", code, e)
	}
	if got := listJSON(t, url, "p"); fmt.Sprint(got) != "[model]" {
		t.Fatalf("list = %v", got)
	}
}

// gate is a service whose calls block until released, counting concurrency.
type gate struct {
	mu      sync.Mutex
	running int
	peak    int
	started chan struct{}
	release chan struct{}
}

func (g *gate) Call(ctx context.Context, _ string, _ []byte) ([]byte, error) {
	g.mu.Lock()
	g.running++
	g.peak = max(g.peak, g.running)
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.running--; g.mu.Unlock() }()
	g.started <- struct{}{}
	select {
	case <-g.release:
		return []byte(`"done"`), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// serveGate makes this test process a host of namespace ns that owns a
// gate service named "gate".
func serveGate(t *testing.T, url, ns string, opts ...registry.RegisterOption) *gate {
	t.Helper()
	r, err := registry.Open(context.Background(), url, registry.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	g := &gate{started: make(chan struct{}, 16), release: make(chan struct{})}
	if _, err := r.RegisterService(context.Background(), "gate", g, opts...); err != nil {
		t.Fatal(err)
	}
	return g
}

// cliResult is the outcome of a CLI call run in the background.
type cliResult struct {
	e    string
	code int
	took time.Duration
}

// cliAsync runs a CLI client process in the background.
func cliAsync(t *testing.T, url, ns string, args ...string) <-chan cliResult {
	done := make(chan cliResult, 1)
	go func() {
		t0 := time.Now()
		_, e, code := cli(t, url, ns, args...)
		done <- cliResult{e, code, time.Since(t0)}
	}()
	return done
}

func TestQueueingBeyondMaxConcurrency(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	// This test process is a host too, owning a gate service; the callers
	// are separate CLI processes.
	g := serveGate(t, url, "q", registry.WithMaxConcurrency(2))
	const callers = 6
	var wg sync.WaitGroup
	outs := make(chan string, callers)
	for range callers {
		wg.Go(func() {
			o, e, code := cli(t, url, "q", "call", "gate", "wait", "--timeout", "30s")
			outs <- fmt.Sprintf("%d %s%s", code, strings.TrimSpace(o), e)
		})
	}
	<-g.started
	<-g.started
	for range callers - 2 {
		g.release <- struct{}{}
		<-g.started
	}
	g.release <- struct{}{}
	g.release <- struct{}{}
	wg.Wait()
	close(outs)
	for o := range outs {
		if o != `0 "done"` {
			t.Fatalf("caller got %q", o)
		}
	}
	if g.peak != 2 {
		t.Fatalf("peak concurrency %d, want 2", g.peak)
	}
}

func TestKilledHostServicesVanish(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	a := startHost(t, url, "k")
	b := startHost(t, url, "k")
	mustCLI(t, url, "k", "register", "sa", "value", "--args", `{"value": 1}`)
	mustCLI(t, url, "k", "register", "sb", "value", "--args", `{"value": 2}`)
	victim, survivor := a, b
	if specOf(t, url, "k", "sa").Owner != a.ID {
		victim, survivor = b, a
	}
	_ = survivor

	// Freeze the owner of sa, send a call that can only wait, then kill it.
	victim.Cmd.Process.Signal(syscall.SIGSTOP)
	done := cliAsync(t, url, "k", "call", "sa", "get", "--timeout", "30s")
	// The documented figure is about one TTL (3 s); the margin is for a
	// loaded machine under -race.
	gone := waitFor(t, 6*time.Second, "sa to vanish from list", func() bool {
		return fmt.Sprint(listJSON(t, url, "k")) == "[sb]"
	})
	t.Logf("frozen host's service gone from list after %v", gone)
	res := <-done
	// The TTL (3 s), then two liveness checks 0.5 s apart.
	if res.code != 1 || !(strings.Contains(res.e, "host gone") || strings.Contains(res.e, "not found")) || res.took > 7*time.Second {
		t.Fatalf("waiting call: exit %d after %v: %q; want a host-gone error within about 4 s, not its 30s deadline", res.code, res.took, res.e)
	}
	victim.Cmd.Process.Kill()
	victim.Cmd.Wait()
	if got := strings.TrimSpace(mustCLI(t, url, "k", "call", "sb", "get")); got != "2" {
		t.Fatalf("survivor's service = %s", got)
	}
	// The name is free again and can be placed on the survivor.
	mustCLI(t, url, "k", "register", "sa", "value", "--args", `{"value": 3}`)
	if got := strings.TrimSpace(mustCLI(t, url, "k", "call", "sa", "get")); got != "3" {
		t.Fatalf("re-registered sa = %s", got)
	}
}

func TestRedisRestartRecovers(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	startHost(t, url, "rr")
	mustCLI(t, url, "rr", "register", "keep", "value", "--args", `{"value": 5}`)
	rs.Restart() // comes back empty, like a Redis without persistence
	// Hosts refill a store that restarted empty within a heartbeat (1 s).
	took := waitFor(t, 5*time.Second, "service re-asserted after Redis restart", func() bool {
		o, _, code := cli(t, url, "rr", "call", "keep", "get", "--timeout", "2s")
		return code == 0 && strings.TrimSpace(o) == "5"
	})
	t.Logf("service callable again %v after the restart", took)
}

// A call in flight when Redis restarts empty fails with a clear error long
// before its deadline, and calls work again once the hosts have refilled it.
func TestCallInFlightDuringRedisRestart(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	g := serveGate(t, url, "inflight")
	done := cliAsync(t, url, "inflight", "call", "gate", "wait", "--timeout", "30s")
	<-g.started // the call is running in the owner
	rs.Restart()
	res := <-done
	// A lost request is told within about 1.5 s (two sweeps 0.5 s apart,
	// a second's grace for a reply already written).
	if res.code != 1 || !strings.Contains(res.e, "call lost") || res.took > 5*time.Second {
		t.Fatalf("in-flight call: exit %d after %v: %q; want 'call lost' within about 1.5 s, not its 30s deadline", res.code, res.took, res.e)
	}
	close(g.release) // let the owner's call finish (its reply goes nowhere)
	waitFor(t, 5*time.Second, "calls work again after the restart", func() bool {
		_, _, code := cli(t, url, "inflight", "call", "gate", "wait", "--timeout", "2s")
		return code == 0
	})
}

// A call still queued when the namespace is reset fails with ErrLost, as the
// docs say; it used to fail with ErrHostGone ("stopped heartbeating") after
// a second, the liveness check taking the missing service for a dead owner.
func TestQueuedCallLostOnReset(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	g := serveGate(t, url, "lost", registry.WithMaxConcurrency(1))
	running := cliAsync(t, url, "lost", "call", "gate", "wait", "--timeout", "30s")
	<-g.started
	queued := cliAsync(t, url, "lost", "call", "gate", "wait", "--timeout", "30s")
	queue := "sandhost:{lost}:q:svc:gate"
	waitFor(t, 10*time.Second, "the second call to be queued", func() bool {
		return rs.Client().XLen(context.Background(), queue).Val() == 2
	})
	mustCLI(t, url, "lost", "reset")
	r := <-queued
	if r.code == 0 || !strings.Contains(r.e, "call lost") || strings.Contains(r.e, "heartbeating") {
		t.Fatalf("queued call across a reset: exit %d, %q; want ErrLost", r.code, r.e)
	}
	<-running
}

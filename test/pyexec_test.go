package test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/registry"
)

// The executor registered by a client runs on a host process; separate
// client processes execute code through it, keeping sessions apart.
func TestPythonExecutorAcrossHosts(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	// One host has no CPython build: it must not be offered the executor.
	bare := testhost.StartEnv(t, []string{"SANDHOST_CACHE=" + t.TempDir(), "SANDHOST_PYTHON_DIR="}, url, "py")
	startHost(t, url, "py")
	mustCLI(t, url, "py", "register", "python_executor", "python_executor", "--args", `{"pool_size": 2, "timeout": "5s", "memory": "256MiB"}`)
	if owner := specOf(t, url, "py", "python_executor").Owner; owner == bare.ID {
		t.Fatal("the executor was placed on the host without python.wasm")
	}
	var hosts []registry.HostInfo
	json.Unmarshal([]byte(mustCLI(t, url, "py", "hosts", "--json")), &hosts)
	for _, h := range hosts {
		if offers := slices.Contains(h.Factories, "python_executor"); offers == (h.ID == bare.ID) {
			t.Fatalf("host %s offers python_executor: %v (the host without python.wasm is %s)", h.ID, offers, bare.ID)
		}
	}
	if n := specOf(t, url, "py", "python_executor").MaxConcurrency; n != 4 {
		t.Fatalf("max concurrency %d, want twice the pool size (its calls and those standing aside)", n)
	}

	if got := mustCLI(t, url, "py", "exec", "x = 10; y = 20; print(f'Result: {x + y}')"); got != "Result: 30\n" {
		t.Fatalf("exec = %q", got)
	}
	var res pyexec.Result
	out, _, code := cli(t, url, "py", "exec", "--json", "raise ValueError('Test error')")
	if code != 0 {
		t.Fatalf("--json exec exit %d", code)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Success || res.ReturnCode != 1 ||
		res.Failure != pyexec.FailException || !strings.Contains(res.Stderr, "ValueError: Test error") {
		t.Fatalf("exception result %+v %v", res, err)
	}
	// Sessions keep state across client processes, apart from each other.
	mustCLI(t, url, "py", "exec", "--session", "env-a", "a = 1")
	if got := mustCLI(t, url, "py", "exec", "--session", "env-a", "a += 1; print(a)"); got != "2\n" {
		t.Fatalf("session = %q", got)
	}
	if _, e, code := cli(t, url, "py", "exec", "--session", "env-b", "print(a)"); code != 1 || !strings.Contains(e, "NameError") {
		t.Fatalf("other session: exit %d %q", code, e)
	}
	// A per-call memory limit, through the service.
	if _, e, code := cli(t, url, "py", "exec", "--memory", "32MiB", "x = bytearray(64 * 1024 * 1024)"); code != 1 || !strings.Contains(e, "memory") {
		t.Fatalf("memory limit: exit %d %q", code, e)
	}
	// A timeout is a failure with its reason, and the service goes on.
	if _, e, code := cli(t, url, "py", "exec", "--timeout", "300ms", "while True: pass"); code != 1 || !strings.Contains(e, "timeout") {
		t.Fatalf("timeout: exit %d %q", code, e)
	}
	if got := mustCLI(t, url, "py", "exec", "--fresh", "print('clean')"); got != "clean\n" {
		t.Fatalf("after timeout = %q", got)
	}
}

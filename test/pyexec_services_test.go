package test

import (
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
)

// Sandboxed code on one host calls services that run on another, through
// Redis: a Go service (the tokenizer) and another executor; the code's
// timeout stops it while it waits for a call in flight on the other host.
func TestPythonCallsServicesOnAnotherHost(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	// Placement by resources: the services that need a GPU go to b, the
	// executor that needs 4 CPUs to a.
	a := startHost(t, url, "bridge", "--gpus", "0", "--cpus", "8")
	b := startHost(t, url, "bridge", "--gpus", "2", "--cpus", "1")
	mustCLI(t, url, "bridge", "register", "tok", "tokenizer", "--gpus", "1", "--args", `{"vocab_size": 50000}`)
	mustCLI(t, url, "bridge", "register", "py2", "python_executor", "--gpus", "1", "--args", `{"pool_size": 1, "timeout": "60s"}`)
	mustCLI(t, url, "bridge", "register", "py1", "python_executor", "--cpus", "4",
		"--args", `{"pool_size": 1, "timeout": "30s", "services": ["tok", "py2"]}`)
	for name, want := range map[string]string{"tok": b.ID, "py2": b.ID, "py1": a.ID} {
		if owner := specOf(t, url, "bridge", name).Owner; owner != want {
			t.Fatalf("%s runs on %s, want %s (a %s, b %s)", name, owner, want, a.ID, b.ID)
		}
	}
	got := mustCLI(t, url, "bridge", "exec", "--service", "py1", `
import sandhost
print(sandhost.call("tok", "encode", "hi"))
print(sandhost.call("py2", "execute", {"code": "print(6 * 7)"})["stdout"], end="")
`)
	if want := "[104, 105]\n42\n"; got != want {
		t.Fatalf("exec on py1 = %q, want %q", got, want)
	}
	// py2 would loop for its own 60 s; py1's code has 1 s.
	t0 := time.Now()
	_, e, code := cli(t, url, "bridge", "exec", "--service", "py1", "--timeout", "1s",
		`import sandhost; sandhost.call("py2", "execute", {"code": "while True: pass"})`)
	took := time.Since(t0)
	if code != 1 || !strings.Contains(e, "timeout") {
		t.Fatalf("exit %d, stderr %q; want a timeout", code, e)
	}
	// Far below py2's 60 s: the code was stopped while it waited.
	if took > 30*time.Second {
		t.Fatalf("a 1s timeout returned after %v", took)
	}
	t.Logf("a 1s timeout, waiting on another host, returned after %v", took)
}

package test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/pyexec"
)

// cliStdin runs the host CLI as a client process with stdin as its
// standard input.
func cliStdin(t *testing.T, redisURL, ns string, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testhost.Binary(t), args...)
	cmd.Env = append(os.Environ(), "SANDHOST_REDIS="+redisURL, "SANDHOST_NAMESPACE="+ns)
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// A payload larger than a command line can hold (128 KiB per argument on
// Linux) goes through standard input, across processes and Redis.
func TestCLICallPayloadFromStdin(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	startHost(t, url, "big")
	mustCLI(t, url, "big", "register", "blob", "value")
	payload := []byte(`"` + strings.Repeat("0123456789abcdef", 8<<20/16) + `"`) // 8 MiB
	if _, e, code := cliStdin(t, url, "big", payload, "call", "blob", "set", "-"); code != 0 {
		t.Fatalf("call blob set - (8 MiB): exit %d: %s", code, e)
	}
	if got := mustCLI(t, url, "big", "call", "blob", "get"); got != string(payload)+"\n" {
		t.Fatalf("get returned %d bytes, want the %d set through stdin", len(got), len(payload)+1)
	}
	if _, e, code := cliStdin(t, url, "big", nil, "call", "blob", "set", "-5"); code != 0 {
		t.Fatalf("call blob set -5: exit %d: %s", code, e)
	}
	if got := mustCLI(t, url, "big", "call", "blob", "get"); got != "-5\n" {
		t.Fatalf("get after set -5 = %q", got)
	}
}

// `host exec` through the executor service: code from standard input, and
// the service's own default timeout applies when none is given (the CLI
// always sent 10 s, so a service registered with 1 s let a 5 s sleep run).
func TestCLIExecThroughServiceUsesItsDefaults(t *testing.T) {
	if _, err := pyexec.FindArtefacts(""); err != nil {
		t.Fatal(err)
	}
	rs := testredis.Start(t)
	url := rs.URL()
	startHost(t, url, "pyd")
	mustCLI(t, url, "pyd", "register", "python_executor", "python_executor", "--args", `{"pool_size": 1, "timeout": "1s"}`)

	out, e, code := cliStdin(t, url, "pyd", []byte("print(6 * 7)\n"), "exec", "-")
	if code != 0 || out != "42\n" {
		t.Fatalf("exec - through the service: exit %d, stdout %q, stderr %q", code, out, e)
	}
	sleep := "import time; time.sleep(5); print('slept')"
	if out, e, code := cliStdin(t, url, "pyd", nil, "exec", sleep); code != 1 || out != "" || !strings.Contains(e, "timeout") {
		t.Fatalf("a 5 s sleep without --timeout on a service with a 1 s default: exit %d, stdout %q, stderr %q; want a timeout", code, out, e)
	}
	if out, e, code := cliStdin(t, url, "pyd", nil, "exec", "--timeout", "60s", "import time; time.sleep(1.5); print('slept')"); code != 0 || out != "slept\n" {
		t.Fatalf("--timeout 60s overrides the service's 1 s: exit %d, stdout %q, stderr %q", code, out, e)
	}
}

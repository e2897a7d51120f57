package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sandhost/sandhost/registry"
)

// cli runs the CLI in this process, as `host ARGS...` with stdin as its
// standard input, and returns what it wrote and its exit code.
func cli(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	// No deadline of its own: a cold compile of python.wasm under -race on
	// a loaded machine took minutes; go test's -timeout catches a hang.
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var o, e bytes.Buffer
	code = run(t.Context(), args, stdin, &o, &e)
	return o.String(), e.String(), code
}

func mustCLI(t *testing.T, stdin io.Reader, args ...string) string {
	t.Helper()
	out, errOut, code := cli(t, stdin, args...)
	if code != 0 {
		t.Fatalf("host %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// wantUsageError checks that `host ARGS...` is a usage error: exit 2,
// nothing on stdout, and stderr saying why (it contains each of why).
func wantUsageError(t *testing.T, args []string, why ...string) {
	t.Helper()
	out, errOut, code := cli(t, nil, args...)
	if code != 2 || out != "" {
		t.Fatalf("host %s: exit %d, stdout %q, stderr %q; want a usage error (exit 2, stdout empty)",
			strings.Join(args, " "), code, out, errOut)
	}
	for _, w := range why {
		if !strings.Contains(errOut, w) {
			t.Fatalf("host %s: stderr does not say %q:\n%s", strings.Join(args, " "), w, errOut)
		}
	}
}

var stores atomic.Int64

// newStore returns the DSN of a memory:// store no other test uses (also
// under -count=N), and clears the environment the CLI reads.
func newStore(t *testing.T) string {
	t.Helper()
	t.Setenv("SANDHOST_REDIS", "")
	t.Setenv("SANDHOST_NAMESPACE", "")
	return fmt.Sprintf("memory://%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), stores.Add(1))
}

// startHost opens a host that accepts placement on a new store, and
// returns the --redis value that reaches it.
func startHost(t *testing.T) string {
	t.Helper()
	dsn := newStore(t)
	r, err := registry.Open(context.Background(), dsn, registry.AcceptPlacement())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return dsn
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/registry"
)

// requestEcho stands in for the executor service: its result's stdout is
// the request it got and the time left before the call's deadline.
type requestEcho struct{}

type echoed struct {
	Request  map[string]json.RawMessage `json:"request"`
	TimeLeft time.Duration              `json:"time_left"`
}

func (requestEcho) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	e := echoed{TimeLeft: -1}
	if err := json.Unmarshal(payload, &e.Request); err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		e.TimeLeft = time.Until(d)
	}
	out, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return json.Marshal(pyexec.Result{Passed: true, Success: true, Stdout: string(out)})
}

func init() {
	registry.RegisterFactory("request_echo", func(context.Context, json.RawMessage) (registry.Service, error) {
		return requestEcho{}, nil
	})
}

// execEcho runs `host exec ARGS...` through the request_echo service.
func execEcho(t *testing.T, dsn string, args ...string) echoed {
	t.Helper()
	out := mustCLI(t, nil, append([]string{"exec", "--redis", dsn, "--service", "echo"}, args...)...)
	var e echoed
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("exec %v: %v: %q", args, err, out)
	}
	return e
}

// Only the limits given are sent, so that a service registered with its
// own default timeout applies it; the call's deadline leaves it room.
func TestExecSendsOnlyTheLimitsGiven(t *testing.T) {
	dsn := startHost(t)
	mustCLI(t, nil, "register", "--redis", dsn, "echo", "request_echo", "--args", `{"timeout": "90s"}`)

	e := execEcho(t, dsn, "print(1)")
	if _, sent := e.Request["timeout"]; sent {
		t.Errorf("exec without --timeout sent timeout %s: the service's own default would not apply", e.Request["timeout"])
	}
	if _, sent := e.Request["memory"]; sent {
		t.Errorf("exec without --memory sent memory %s", e.Request["memory"])
	}
	if e.TimeLeft < 90*time.Second {
		t.Errorf("the call's deadline was %v away: shorter than the service's own 90s timeout", e.TimeLeft)
	}

	e = execEcho(t, dsn, "--timeout", "2s", "--memory", "64MiB", "--session", "s1", "print(1)")
	var timeout, memory, session string
	json.Unmarshal(e.Request["timeout"], &timeout)
	json.Unmarshal(e.Request["memory"], &memory)
	json.Unmarshal(e.Request["session"], &session)
	if timeout != "2s" || memory != "64MiB" || session != "s1" {
		t.Errorf("exec --timeout 2s --memory 64MiB --session s1 sent %v", e.Request)
	}
	if e.TimeLeft <= 2*time.Second || e.TimeLeft > 2*time.Second+serviceMargin {
		t.Errorf("with --timeout 2s the call's deadline was %v away, want 2s plus at most %v", e.TimeLeft, serviceMargin)
	}
}

// Flags for one side are refused on the other, not silently ignored (a
// --service without Redis ran a local pool).
func TestExecFlagsForTheOtherSideAreUsageErrors(t *testing.T) {
	dsn := newStore(t)
	wantUsageError(t, []string{"exec", "--service", "echo", "print(1)"}, "--service needs --redis or SANDHOST_REDIS")
	wantUsageError(t, []string{"exec", "--redis", dsn, "--mount", "/tmp:/data", "print(1)"}, "--mount applies to a local pool")
	wantUsageError(t, []string{"exec", "--redis", dsn, "--engine", "wazero", "print(1)"}, "--engine applies to a local pool")
	wantUsageError(t, []string{"exec", "--redis", dsn, "--python-dir", "/x", "print(1)"}, "--python-dir applies to a local pool")
	wantUsageError(t, []string{"exec"}, "give the code")
	wantUsageError(t, []string{"exec", "--session", "a", "--fresh", "print(1)"}, "exclude each other")
}

// A --python-dir or SANDHOST_PYTHON_DIR without the build is an error naming
// it: the cached build is not run in its place.
func TestExecWrongPythonDirIsAnError(t *testing.T) {
	newStore(t)
	cache := t.TempDir()
	t.Setenv("SANDHOST_CACHE", cache)
	t.Setenv("SANDHOST_PYTHON_DIR", "")
	current := filepath.Join(cache, "python-wasm", "current")
	if err := os.MkdirAll(filepath.Join(current, "lib", "python3.13"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(current, "python.wasm"), []byte("a cached build"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, c := range []struct {
		dir  string
		args []string
	}{
		{empty, []string{"exec", "--python-dir", empty, "print(1)"}},
		{"/nonexistent", []string{"exec", "print(1)"}},
	} {
		if len(c.args) == 2 {
			t.Setenv("SANDHOST_PYTHON_DIR", c.dir)
		}
		out, errOut, code := cli(t, nil, c.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "python.wasm not found: "+c.dir) {
			t.Fatalf("host %s with %s: exit %d, stdout %q, stderr %q; want exit 1 naming the directory",
				strings.Join(c.args, " "), c.dir, code, out, errOut)
		}
	}
}

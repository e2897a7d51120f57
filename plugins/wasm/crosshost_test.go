package wasm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// Plugins registered from a client run on separate host processes that
// share no file with it: the module travels through Redis once, the
// key-value store is the namespace's on every host, and the CLI's
// `register --module FILE` does the same from the command line.
func TestAcrossHosts(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	const ns = "plugins"
	hosts := map[string]bool{}
	for range 2 {
		hosts[testhost.Start(t, srv.URL(), ns).ID] = true
	}
	client, err := registry.Open(ctx, srv.URL(), registry.WithNamespace(ns), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	// Two services of one module, placed by the registry.
	a := register(t, client, "count-a", counterSrc, wasm.Args{}, registry.WithMaxConcurrency(1))
	b := register(t, client, "count-b", counterSrc, wasm.Args{}, registry.WithMaxConcurrency(1))
	for _, h := range []*registry.Handle{a, b} {
		if !hosts[h.Spec().Owner] {
			t.Fatalf("%s runs on %q, not on a host process %v", h.Name(), h.Spec().Owner, hosts)
		}
	}
	for i, h := range []*registry.Handle{a, b, a} {
		out, err := h.Call(ctx, "incr_shared", []byte("n"))
		if err != nil || string(out) != string(rune('1'+i)) {
			t.Fatalf("call %d to %s: %q, %v", i+1, h.Name(), out, err)
		}
	}

	// The CLI stores a module file and registers it from "another machine".
	file := filepath.Join(t.TempDir(), "tok.wasm")
	if err := os.WriteFile(file, mustBuild(t, tokenizerSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := exec.Command(testhost.Binary(t), "register", "tok", "wasm", "--module", file,
		"--args", `{"config": {"vocab_size": "1000"}}`, "--redis", srv.URL(), "--namespace", ns)
	if out, err := cli.CombinedOutput(); err != nil {
		t.Fatalf("host register --module: %v\n%s", err, out)
	}
	tok, err := client.Get(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	toks, err := registry.CallJSON[[]int](ctx, tok, "encode", "hé")
	if err != nil || len(toks) != 2 || toks[0] != 'h' || toks[1] != 'é' {
		t.Fatalf("tok.encode across hosts = %v, %v", toks, err)
	}
	// An error from the plugin's machine crosses hosts with its words and
	// its reason, which errors.Is finds on this side too; each failure is
	// followed by a healthy call.
	m := register(t, client, "misbehave", misbehaveSrc, wasm.Args{Memory: 32 << 20})
	looper := register(t, client, "looper", misbehaveSrc, wasm.Args{Timeout: 500 * time.Millisecond})
	for _, c := range []struct {
		h    *registry.Handle
		fn   string
		want []error
	}{
		{m, "trap", []error{wasm.ErrTrap}},
		{looper, "loop", []error{wasm.ErrTimeout, registry.ErrDeadlineExceeded}},
		{m, "hog", []error{wasm.ErrMemory}},
	} {
		// The test's bound on the call, well past the plugin's timeout: Go's
		// runtime collects a few times before it gives up on memory.
		callCtx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := c.h.Call(callCtx, c.fn, nil)
		cancel()
		for _, w := range c.want {
			if !errors.Is(err, w) {
				t.Errorf("%s across hosts: %v, want it to match %q", c.fn, err, w)
			}
		}
		if err == nil || !strings.Contains(err.Error(), `"`+c.fn+`"`) {
			t.Errorf("%s across hosts: %v, want the function named", c.fn, err)
		}
		if out, err := c.h.Call(ctx, "ok", []byte("after "+c.fn)); err != nil || string(out) != "after "+c.fn {
			t.Fatalf("call after %s across hosts: %q, %v", c.fn, out, err)
		}
	}

	// `host plugins` lists them with the host, version and counters.
	out, err := exec.Command(testhost.Binary(t), "plugins", "--json", "--redis", srv.URL(), "--namespace", ns).Output()
	if err != nil {
		t.Fatalf("host plugins: %v", err)
	}
	var rows []struct {
		Name, Host, Version string
		Functions           []string
		Calls               uint64
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("host plugins --json: %v\n%s", err, out)
	}
	counter := wasm.Sum(mustBuild(t, counterSrc))
	got := map[string]string{}
	for _, r := range rows {
		got[r.Name] = fmt.Sprintf("%v %v %v %d", r.Version == counter, hosts[r.Host], r.Functions, r.Calls)
	}
	if len(rows) != 5 || got["count-a"] != "true true [incr incr_shared] 2" || got["count-b"] != "true true [incr incr_shared] 1" {
		t.Fatalf("host plugins: %v", got)
	}
}

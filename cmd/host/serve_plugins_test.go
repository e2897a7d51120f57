package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
	"github.com/sandhost/sandhost/registry"
)

// `host serve --plugins DIR` on two host processes of a real Redis: host
// A serves the drop-in "ver", host B a drop-in "relay" that calls it from
// inside its plugin. Replacing ver's file on A while 16 callers call it,
// directly and through B, fails no call; every caller moves to the new
// build and never back; `host plugins` shows the version; deleting the
// file removes the service from every host's view.
func TestServePluginsAcrossHosts(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	const ns = "dropin"
	v1 := wasmtest.BuildVariant(t, "plugins/dropin/testdata/version", "VERSION=1")
	v2 := wasmtest.BuildVariant(t, "plugins/dropin/testdata/version", "VERSION=2")
	dirA, dirB := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dirA, "ver.wasm"), v1)
	writeFile(t, filepath.Join(dirB, "relay.wasm"), wasmtest.Build(t, "plugins/wasm/testdata/misbehave"))
	writeFile(t, filepath.Join(dirB, "relay.yaml"), []byte("functions: [call]\nconfig:\n  service: ver\n  method: version\n"))
	a := testhost.Start(t, srv.URL(), ns, "--plugins", dirA)
	b := testhost.Start(t, srv.URL(), ns, "--plugins", dirB)

	client, err := registry.Open(ctx, srv.URL(), registry.WithNamespace(ns), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ver, err := client.Get(ctx, "ver")
	if err != nil {
		t.Fatal(err)
	}
	relay, err := client.Get(ctx, "relay")
	if err != nil {
		t.Fatal(err)
	}
	if ver.Spec().Owner != a.ID || relay.Spec().Owner != b.ID {
		t.Fatalf("ver on %s, relay on %s; want hosts A %s and B %s", ver.Spec().Owner, relay.Spec().Owner, a.ID, b.ID)
	}
	if out, err := relay.Call(ctx, "call", nil); err != nil || string(out) != "1" {
		t.Fatalf("host B's plugin calling host A's drop-in: %q, %v", out, err)
	}

	const callers = 16
	var (
		stop             atomic.Bool
		wg               sync.WaitGroup
		calls, sawV2     [callers]atomic.Int64
		failed, wentBack atomic.Int64
		firstErr         atomic.Value
	)
	for i := range callers {
		h, method := ver, "version"
		if i%2 == 1 {
			h, method = relay, "call" // through host B
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen2 := false
			for !stop.Load() {
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				out, err := h.Call(cctx, method, nil)
				cancel()
				calls[i].Add(1)
				switch {
				case err == nil && string(out) == "2":
					seen2 = true
					sawV2[i].Add(1)
				case err == nil && string(out) == "1":
					if seen2 {
						wentBack.Add(1)
					}
				default:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, string(out)+" "+errString(err))
				}
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	waitFor(t, "every caller calls the first build", func() bool { return allAtLeast(calls[:], 3) })
	writeFile(t, filepath.Join(dirA, "ver.wasm"), v2)
	waitFor(t, "every caller sees the second build", func() bool { return allAtLeast(sawV2[:], 3) })
	stop.Store(true)
	wg.Wait()
	var n int64
	for i := range callers {
		n += calls[i].Load()
	}
	if failed.Load() > 0 || wentBack.Load() > 0 {
		t.Fatalf("%d of %d calls failed (first: %v), %d went back to the first build", failed.Load(), n, firstErr.Load(), wentBack.Load())
	}
	t.Logf("%d calls across the upgrade, none failed", n)

	out, err := exec.Command(testhost.Binary(t), "plugins", "--json", "--redis", srv.URL(), "--namespace", ns).Output()
	if err != nil {
		t.Fatalf("host plugins: %v", err)
	}
	var rows []struct {
		Name, Host, Version string
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("host plugins --json: %v\n%s", err, out)
	}
	versions := map[string]string{}
	for _, r := range rows {
		versions[r.Name] = r.Host + " " + r.Version
	}
	if versions["ver"] != a.ID+" "+wasm.Sum(v2) || !strings.HasPrefix(versions["relay"], b.ID+" ") {
		t.Fatalf("host plugins lists %v; want ver on A at %s and relay on B", versions, wasm.Sum(v2))
	}

	if err := os.Remove(filepath.Join(dirA, "ver.wasm")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ver gone", func() bool { ok, _ := client.Contains(ctx, "ver"); return !ok })
	if _, err := relay.Call(ctx, "call", nil); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("relay to a removed drop-in: %v, want not found", err)
	}
}

// A plugin directory that is not there is a usage error, before serving.
func TestServePluginsDirMissing(t *testing.T) {
	var stderr strings.Builder
	dir := filepath.Join(t.TempDir(), "absent")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // bounds a serve that ignored it
	defer cancel()
	code := run(ctx, []string{"serve", "--redis", newStore(t), "--plugins", dir}, nil, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), dir) {
		t.Fatalf("serve --plugins %s: exit %d, stderr %q; want 2 naming the directory", dir, code, stderr.String())
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func allAtLeast(counts []atomic.Int64, n int64) bool {
	for i := range counts {
		if counts[i].Load() < n {
			return false
		}
	}
	return true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// waitFor polls cond, which other processes make true, until it holds or
// 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > 20*time.Second {
			t.Fatalf("%s: not after 20s", what)
		}
		time.Sleep(10 * time.Millisecond) // a poll, not synchronisation
	}
}

package wasm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// The tokenizer plugin gives the built-in tokenizer's tokens, through the
// registry, from a module stored once in the namespace.
func TestTokenizerMatchesBuiltin(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	plug := register(t, reg, "tok-wasm", tokenizerSrc, wasm.Args{Config: map[string]string{"vocab_size": "300"}})
	builtin, err := reg.Register(ctx, "tok", "tokenizer", registry.WithArgs(map[string]int{"vocab_size": 300}))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"", "hello world", "héllo ✓ 日本", "\x00\U0001F600"} {
		want, err := registry.CallJSON[[]int](ctx, builtin, "encode", text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := registry.CallJSON[[]int](ctx, plug, "encode", text)
		if err != nil {
			t.Fatal(err)
		}
		if !equal(got, want) {
			t.Errorf("encode %q: plugin %v, built-in %v", text, got, want)
		}
		wantText, _ := registry.CallJSON[string](ctx, builtin, "decode", want)
		gotText, err := registry.CallJSON[string](ctx, plug, "decode", want)
		if err != nil || gotText != wantText {
			t.Errorf("decode %v: plugin %q, %v; built-in %q", want, gotText, err, wantText)
		}
	}
	_, err = registry.CallJSON[string](ctx, plug, "decode", []int{300})
	if err == nil || !strings.Contains(err.Error(), "outside vocabulary") {
		t.Errorf("decode of a token outside the vocabulary: %v", err)
	}
	if _, err := plug.Call(ctx, "nope", nil); !errors.Is(err, registry.ErrUnknownMethod) {
		t.Errorf("unknown method: %v, want ErrUnknownMethod", err)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRewardScorer(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	h := register(t, reg, "reward", rewardSrc, wasm.Args{})
	type result struct {
		Reward float64 `json:"reward"`
		Answer string  `json:"answer"`
	}
	for _, c := range []struct {
		output, ref string
		want        float64
	}{
		{"The answer is 42.", "42", 1},
		{"so x = 3.50", "3.5", 1},
		{`first 7, finally \boxed{1,024}`, "1024", 1},
		{"I think 41", "42", 0},
		{"no idea", "42", 0},
		{"-0.5e3 units", "-500", 1},
	} {
		r, err := registry.CallJSON[result](ctx, h, "score", map[string]string{"output": c.output, "reference": c.ref})
		if err != nil {
			t.Fatal(err)
		}
		if r.Reward != c.want {
			t.Errorf("score(%q, %q) = %+v, want reward %v", c.output, c.ref, r, c.want)
		}
	}
}

// "incr" counts per instance: with max concurrency 1 the service has one
// instance, and it counts as a user expects. "incr_shared" counts in the
// namespace's key-value store, seen by a second service too, and logs into
// the host's slog.
func TestCounterState(t *testing.T) {
	ctx := context.Background()
	reg, logs := openMemory(t)
	a := register(t, reg, "counter-a", counterSrc, wasm.Args{}, registry.WithMaxConcurrency(1))
	b := register(t, reg, "counter-b", counterSrc, wasm.Args{}, registry.WithMaxConcurrency(1))
	for i := 1; i <= 3; i++ {
		out, err := a.Call(ctx, "incr", nil)
		if err != nil || string(out) != string(rune('0'+i)) {
			t.Fatalf("incr #%d = %q, %v", i, out, err)
		}
	}
	if out, _ := b.Call(ctx, "incr", nil); string(out) != "1" {
		t.Errorf("another service's own counter = %q, want 1", out)
	}
	a.Call(ctx, "incr_shared", []byte("hits"))
	a.Call(ctx, "incr_shared", []byte("hits"))
	out, err := b.Call(ctx, "incr_shared", []byte("hits"))
	if err != nil || string(out) != "3" {
		t.Fatalf("shared counter = %q, %v; want 3", out, err)
	}
	if v, err := reg.KVGet(ctx, wasm.KVPrefix+"hits"); err != nil || string(v) != "3" {
		t.Errorf("key-value store holds %q, %v", v, err)
	}
	if !logged(logs.String(), `"msg":"shared counter hits = 3"`, `"plugin":"counter-b"`) {
		t.Errorf("the plugin's log line is not in the host's log:\n%s", logs)
	}
}

// A listed function the module lacks fails the registration.
func TestMissingFunction(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	stored, err := wasm.Store(ctx, reg, mustBuild(t, counterSrc))
	if err != nil {
		t.Fatal(err)
	}
	stored.Functions = []string{"incr", "decr"}
	_, err = reg.Register(ctx, "c", wasm.FactoryName, registry.WithArgs(stored))
	if !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), `"decr"`) {
		t.Fatalf("register with a missing function: %v, want ErrInvalid naming it", err)
	}
	stored.Functions = []string{"incr"}
	h, err := reg.Register(ctx, "c", wasm.FactoryName, registry.WithArgs(stored))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Call(ctx, "incr_shared", nil); !errors.Is(err, registry.ErrUnknownMethod) {
		t.Errorf("a function not listed: %v, want ErrUnknownMethod", err)
	}
}

// A file that is not WebAssembly is refused before it is stored: its bytes
// would stay in the namespace, read by no one.
func TestStoreRefusesWhatIsNotWasm(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	module := []byte("not a module, a README\n")
	if _, err := wasm.Store(ctx, reg, module); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("Store of a text file: %v, want ErrInvalid", err)
	}
	if _, err := reg.GetBlob(ctx, wasm.Sum(module)); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("the refused file is stored: %v", err)
	}
	truncated := mustBuild(t, counterSrc)
	if _, err := wasm.Store(ctx, reg, truncated[:len(truncated)/2]); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("Store of half a module: %v, want ErrInvalid", err)
	}
}

// logged reports whether one line of a JSON log holds every part.
func logged(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// A memory limit a 32-bit WebAssembly memory cannot have is refused: wazero
// panics beyond 4 GiB, which used to crash the host the service was placed on.
func TestMemoryOverFourGiBIsInvalid(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	stored, err := wasm.Store(ctx, reg, mustBuild(t, counterSrc))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"8GiB", "4GiB"} {
		// The wire form, as `host register --args` sends it.
		args, _ := json.Marshal(map[string]any{"module_sha256": stored.ModuleSHA256, "memory": m})
		_, err = reg.Register(ctx, "c"+m, wasm.FactoryName, registry.WithArgs(json.RawMessage(args)))
		if m == "8GiB" && !errors.Is(err, registry.ErrInvalid) {
			t.Fatalf("memory %s: %v, want ErrInvalid", m, err)
		}
		if m == "4GiB" && err != nil {
			t.Fatalf("memory %s: %v, want it accepted", m, err)
		}
	}
}

// A plugin sees no file by default; allowed_paths maps a host directory
// to a guest path it can read.
func TestAllowedPaths(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "note.txt"), []byte("visible"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed := register(t, reg, "closed", misbehaveSrc, wasm.Args{})
	if out, err := closed.Call(ctx, "read", []byte("/data/note.txt")); err == nil || !strings.Contains(err.Error(), "/data/note.txt") {
		t.Fatalf("a plugin with no allowed paths reading a file: %q, %v; want the guest's error naming it", out, err)
	}
	open := register(t, reg, "open", misbehaveSrc, wasm.Args{AllowedPaths: map[string]string{dir: "/data"}})
	if out, err := open.Call(ctx, "read", []byte("/data/note.txt")); err != nil || string(out) != "visible" {
		t.Fatalf("reading an allowed path = %q, %v", out, err)
	}
}

// A compilation cache entry cut short (a crash or a full disk during its
// write) is cleared and the module compiled again; every later New used to
// fail on it until someone deleted the cache by hand.
func TestUnreadableCacheEntryIsRecompiled(t *testing.T) {
	ctx := context.Background()
	module := mustBuild(t, cEchoSrc)
	dir := t.TempDir()
	p, err := wasm.New(ctx, wasm.Args{Module: module}, wasm.Options{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	cut := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			if os.Truncate(path, info.Size()/2) == nil {
				cut++
			}
		}
		return nil
	})
	if cut == 0 {
		t.Fatal("nothing in the compilation cache to cut short")
	}
	for range 2 {
		p, err := wasm.New(ctx, wasm.Args{Module: module}, wasm.Options{CacheDir: dir})
		if err != nil {
			t.Fatalf("New with %d cache entries cut short: %v", cut, err)
		}
		if out, err := p.Call(ctx, "echo", []byte("hi")); err != nil || string(out) != "hi" {
			t.Fatalf("echo after the recompile: %q, %v", out, err)
		}
		p.Close()
	}
}

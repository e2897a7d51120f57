package dropin_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandhost/sandhost/plugins/dropin"
	"github.com/sandhost/sandhost/registry"
)

// Adding, upgrading and removing a plugin while 16 callers call it: no
// call fails, the callers see the first build, then the second, and none
// goes back once it has seen the second; the removal unregisters it.
func TestAddUpgradeRemoveUnderLoad(t *testing.T) {
	r := openRegistry(t)
	v1, v2 := build(t, 1), build(t, 2)
	w := watch(t, r, dropin.Options{}, nil)

	w.write(t, "ver.wasm", v1)
	if c := w.applied(t); c.Name != "ver" || c.Version != sum(v1) || c.Previous != "" || c.Err != nil {
		t.Fatalf("add: %+v", c)
	}
	h, err := r.Get(ctx, "ver")
	if err != nil {
		t.Fatal(err)
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen2 := false
			for !stop.Load() {
				out, err := h.Call(ctx, "version", nil)
				calls[i].Add(1)
				switch {
				case err != nil:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				case string(out) == "2":
					seen2 = true
					sawV2[i].Add(1)
				case string(out) == "1" && seen2:
					wentBack.Add(1)
				case string(out) != "1":
					failed.Add(1)
					firstErr.CompareAndSwap(nil, "answer "+string(out))
				}
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	waitUntil(t, "every caller calls the first build", func() bool {
		for i := range callers {
			if calls[i].Load() < 5 {
				return false
			}
		}
		return true
	})

	w.write(t, "ver.wasm", v2)
	if c := w.applied(t); c.Version != sum(v2) || c.Previous != sum(v1) {
		t.Fatalf("upgrade: %+v", c)
	}
	// A call that starts now runs on the second build.
	if out, err := h.Call(ctx, "version", nil); err != nil || string(out) != "2" {
		t.Errorf("a call after the swap: %q, %v; want 2", out, err)
	}
	waitUntil(t, "every caller sees the second build", func() bool {
		for i := range callers {
			if sawV2[i].Load() < 5 {
				return false
			}
		}
		return true
	})
	stop.Store(true)
	wg.Wait()
	var n int64
	for i := range callers {
		n += calls[i].Load()
	}
	if failed.Load() > 0 || wentBack.Load() > 0 {
		t.Fatalf("%d calls failed (first: %v), %d went back to the first build after the second, of %d", failed.Load(), firstErr.Load(), wentBack.Load(), n)
	}
	t.Logf("%d calls across the upgrade at concurrency %d, none failed", n, callers)

	w.remove(t, "ver.wasm")
	if c := w.next(t); c.Version != "" || c.Previous != sum(v2) || c.Err != nil {
		t.Fatalf("remove: %+v", c)
	}
	if ok, _ := r.Contains(ctx, "ver"); ok {
		t.Fatal("ver still registered after its file was deleted")
	}
	if _, err := h.Call(ctx, "version", nil); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("call after removal: %v, want ErrNotFound", err)
	}
}

// A module that does not compile is reported with its file and skipped;
// as an upgrade, it leaves the version that serves serving. A module cut
// short (a copy not finished) is tried again when the rest is written.
func TestBrokenModuleKeepsTheOldVersion(t *testing.T) {
	r := openRegistry(t)
	v1, v2 := build(t, 1), build(t, 2)
	w := watch(t, r, dropin.Options{}, map[string][]byte{"ver.wasm": v1})
	// Files already there are served when Watch returns.
	if out, err := call(t, r, "ver", "version"); err != nil || out != "1" {
		t.Fatalf("served at start: %q, %v", out, err)
	}
	w.next(t) // its addition

	w.write(t, "ver.wasm", []byte("not a wasm module"))
	c := w.next(t)
	if c.Err == nil || c.Version != sum(v1) || c.File != filepath.Join(w.path, "ver.wasm") {
		t.Fatalf("broken upgrade: %+v; want an error about ver.wasm, v1 serving", c)
	}
	if out, err := call(t, r, "ver", "version"); err != nil || out != "1" {
		t.Fatalf("after a broken upgrade: %q, %v; want the first build", out, err)
	}

	w.write(t, "ver.wasm", v2[:len(v2)/2])
	if c := w.next(t); c.Err == nil || c.Version != sum(v1) {
		t.Fatalf("half a module: %+v; want an error, v1 serving", c)
	}
	f, err := os.OpenFile(filepath.Join(w.path, "ver.wasm"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(v2[len(v2)/2:]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if c := w.applied(t); c.Version != sum(v2) {
		t.Fatalf("the rest written: %+v; want v2 serving", c)
	}
	if out, err := call(t, r, "ver", "version"); err != nil || out != "2" {
		t.Fatalf("after the copy finished: %q, %v", out, err)
	}
}

// Settings name functions: one the module lacks is reported and the
// plugin skipped; with the settings fixed it serves those functions only.
func TestMissingFunctionIsSkipped(t *testing.T) {
	r := openRegistry(t)
	w := watch(t, r, dropin.Options{}, map[string][]byte{
		"ver.wasm": build(t, 1),
		"ver.yaml": []byte("functions: [version, nope]\n"),
	})
	c := w.next(t)
	if c.Err == nil || !strings.Contains(c.Err.Error(), `"nope"`) || c.Version != "" {
		t.Fatalf("missing function: %+v", c)
	}
	if ok, _ := r.Contains(ctx, "ver"); ok {
		t.Fatal("a plugin lacking a configured function was registered")
	}

	w.write(t, "ver.yaml", []byte("functions: [version]\ninstances: 3\ntimeout: 5s\n"))
	if c := w.applied(t); c.Version == "" {
		t.Fatalf("fixed settings: %+v", c)
	}
	h, err := r.Get(ctx, "ver")
	if err != nil {
		t.Fatal(err)
	}
	if h.Spec().MaxConcurrency != 3 {
		t.Errorf("max concurrency %d, want the settings' 3 instances", h.Spec().MaxConcurrency)
	}
	if _, err := h.Call(ctx, "echo", nil); !errors.Is(err, registry.ErrUnknownMethod) {
		t.Errorf("echo, not among the functions: %v, want ErrUnknownMethod", err)
	}
}

// Settings files: JSON as well as YAML, unknown fields and the module
// refused (they would be ignored, or contradict the file), two at once an
// error; a settings change alone upgrades the plugin.
func TestSettingsFiles(t *testing.T) {
	r := openRegistry(t)
	w := watch(t, r, dropin.Options{}, map[string][]byte{
		"a.wasm": build(t, 1), "a.json": []byte(`{"instances": 2, "memory": "16MiB"}`),
		"b.wasm": build(t, 1), "b.yaml": []byte("instance: 2\n"),
		"c.wasm": build(t, 1), "c.yaml": []byte("module_sha256: abc\n"),
		"d.wasm": build(t, 1), "d.yaml": []byte(""), "d.json": []byte("{}"),
	})
	got := map[string]dropin.Change{}
	for range 4 {
		c := w.next(t)
		got[c.Name] = c
	}
	if got["a"].Err != nil {
		t.Errorf("a.json: %v", got["a"].Err)
	}
	for name, want := range map[string]string{"b": "instance", "c": "module_sha256", "d": "two settings files"} {
		if err := got[name].Err; err == nil || !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want ErrInvalid saying %q", name, err, want)
		}
	}
	h, err := r.Get(ctx, "a")
	if err != nil || h.Spec().MaxConcurrency != 2 {
		t.Fatalf("a: %v, %+v", err, h)
	}

	w.write(t, "a.json", []byte(`{"functions": ["echo"], "instances": 2}`))
	if c := w.applied(t); c.Version != got["a"].Version || c.Previous != got["a"].Version {
		t.Fatalf("settings upgrade: %+v", c)
	}
	if _, err := call(t, r, "a", "version"); !errors.Is(err, registry.ErrUnknownMethod) {
		t.Fatalf("after the settings change: %v, want version no longer a method", err)
	}
}

// An editor's save renames a new file over the old one, or moves the old
// one away and writes a new one: either way an upgrade, never a removal;
// the hidden temporary file is no plugin.
func TestRenameOverUpgrades(t *testing.T) {
	r := openRegistry(t)
	v1, v2, v3 := build(t, 1), build(t, 2), build(t, 3)
	w := watch(t, r, dropin.Options{}, map[string][]byte{"ver.wasm": v1})
	w.next(t) // its addition

	w.write(t, ".ver.wasm.tmp", v2)
	if err := os.Rename(filepath.Join(w.path, ".ver.wasm.tmp"), filepath.Join(w.path, "ver.wasm")); err != nil {
		t.Fatal(err)
	}
	if c := w.next(t); c.Err != nil || c.Version != sum(v2) || c.Previous != sum(v1) {
		t.Fatalf("renamed over: %+v", c)
	}

	if err := os.Rename(filepath.Join(w.path, "ver.wasm"), filepath.Join(w.path, "ver.wasm~")); err != nil {
		t.Fatal(err)
	}
	w.write(t, "ver.wasm", v3)
	if c := w.applied(t); c.Version != sum(v3) || c.Previous != sum(v2) {
		t.Fatalf("moved away and written again: %+v, want an upgrade", c)
	}
	if out, err := call(t, r, "ver", "version"); err != nil || out != "3" {
		t.Fatalf("after the saves: %q, %v", out, err)
	}
}

// A namespace reset removes drop-in services like any other; the files
// are still there, so the rescan registers them again. Close unregisters
// them for good.
func TestResetThenRescanRegistersAgain(t *testing.T) {
	r := openRegistry(t)
	w := watch(t, r, dropin.Options{Rescan: 20 * time.Millisecond}, map[string][]byte{"ver.wasm": build(t, 1)})
	if err := r.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "ver registered again after the reset", func() bool {
		out, err := call(t, r, "ver", "version")
		return err == nil && out == "1"
	})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.Contains(ctx, "ver"); ok {
		t.Fatal("ver still registered after Close")
	}
}

// The rescan catches a change that notification missed: a module written
// through a hard link in another directory changes the file, but inotify
// tells only the directory it was written through.
func TestRescanCatchesMissedChange(t *testing.T) {
	r := openRegistry(t)
	v1, v2 := build(t, 1), build(t, 2)
	w := watch(t, r, dropin.Options{Rescan: 20 * time.Millisecond}, map[string][]byte{"ver.wasm": v1})
	w.next(t) // its addition
	elsewhere := filepath.Join(t.TempDir(), "ver.wasm")
	if err := os.Link(filepath.Join(w.path, "ver.wasm"), elsewhere); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(elsewhere, v2, 0o644); err != nil {
		t.Fatal(err)
	}
	if c := w.applied(t); c.Version != sum(v2) || c.Previous != sum(v1) {
		t.Fatalf("missed change: %+v", c)
	}
}

// An empty module file (a copy that has truncated it and not written yet)
// is reported as such and skipped; the version serving keeps serving, and
// the write that follows loads.
func TestEmptyModuleWaitsForTheWrite(t *testing.T) {
	r := openRegistry(t)
	v1, v2 := build(t, 1), build(t, 2)
	w := watch(t, r, dropin.Options{}, map[string][]byte{"ver.wasm": {}})
	file := filepath.Join(w.path, "ver.wasm")
	c := w.next(t)
	if c.Err == nil || !errors.Is(c.Err, registry.ErrInvalid) || !strings.Contains(c.Err.Error(), "empty module file") || c.File != file || c.Version != "" {
		t.Fatalf("empty at start: %+v; want ErrInvalid saying empty module file, about ver.wasm", c)
	}
	if ok, _ := r.Contains(ctx, "ver"); ok {
		t.Fatal("an empty module was registered")
	}

	w.write(t, "ver.wasm", v1)
	if c := w.applied(t); c.Version != sum(v1) {
		t.Fatalf("written: %+v; want v1 serving", c)
	}

	if err := os.Truncate(file, 0); err != nil {
		t.Fatal(err)
	}
	c = w.next(t)
	if c.Err == nil || !strings.Contains(c.Err.Error(), "empty module file") || c.Version != sum(v1) {
		t.Fatalf("truncated: %+v; want empty module file, v1 serving", c)
	}
	if out, err := call(t, r, "ver", "version"); err != nil || out != "1" {
		t.Fatalf("after truncation: %q, %v; want the first build", out, err)
	}

	w.write(t, "ver.wasm", v2)
	if c := w.applied(t); c.Version != sum(v2) || c.Previous != sum(v1) {
		t.Fatalf("written again: %+v; want v2 upgrading v1", c)
	}
}

// A host restarted at once finds its plugins' names still held by its
// previous run, whose entries last until its heartbeat expires. The
// plugin is reported once, tried again (soon, or at the rescans) with the
// same files, and served once the name is free.
func TestTakenNameIsServedOnceFree(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    dropin.Options
	}{
		{"retry", dropin.Options{Retry: 20 * time.Millisecond}},
		{"rescan", dropin.Options{Retry: -1, Rescan: 20 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := "memory://" + strings.ReplaceAll(t.Name(), "/", "_")
			// The previous run, which still holds the name.
			previous := openHost(t, dsn)
			old := registry.ServiceFunc(func(context.Context, string, []byte) ([]byte, error) { return []byte("old"), nil })
			if _, err := previous.RegisterService(ctx, "ver", old); err != nil {
				t.Fatal(err)
			}
			r := openHost(t, dsn)
			log := newLogCount(t)
			o := tc.o
			o.Logger = slog.New(log)
			v1 := build(t, 1)
			w := watch(t, r, o, map[string][]byte{"ver.wasm": v1})
			if c := w.next(t); !errors.Is(c.Err, registry.ErrExists) || c.Version != "" || c.File != filepath.Join(w.path, "ver.wasm") {
				t.Fatalf("name taken: %+v; want ErrExists about ver.wasm", c)
			}
			if out, err := call(t, r, "ver", "version"); err != nil || out != "old" {
				t.Fatalf("while taken: %q, %v; want the previous run's service", out, err)
			}
			waitUntil(t, "tried again", func() bool { return log.count("drop-in plugin still waiting for its name") >= 3 })

			if err := previous.Close(); err != nil {
				t.Fatal(err)
			}
			// The next change is the plugin served: the retries that
			// found the name taken reported nothing.
			if c := w.next(t); c.Err != nil || c.Version != sum(v1) {
				t.Fatalf("name free: %+v; want v1 serving", c)
			}
			h, err := r.Get(ctx, "ver")
			if err != nil {
				t.Fatal(err)
			}
			if h.Spec().Owner != r.HostID() {
				t.Errorf("ver owned by %s, want this host %s", h.Spec().Owner, r.HostID())
			}
			if out, err := h.Call(ctx, "version", nil); err != nil || string(out) != "1" {
				t.Errorf("served: %q, %v; want the first build", out, err)
			}
			if n := log.count("drop-in plugin not registered; trying again until its name is free"); n != 1 {
				t.Errorf("the wait for the name logged %d times, want once", n)
			}
		})
	}
}

// Two hosts of one namespace serve one directory: the first serves the
// plugin, the second waits for the name, and takes the plugin over when
// the first stops serving it.
func TestSecondHostTakesOver(t *testing.T) {
	dsn := "memory://" + t.Name()
	r1, r2 := openHost(t, dsn), openHost(t, dsn)
	v1 := build(t, 1)
	w1 := watch(t, r1, dropin.Options{Retry: 20 * time.Millisecond}, map[string][]byte{"ver.wasm": v1})
	if c := w1.next(t); c.Err != nil || c.Version != sum(v1) {
		t.Fatalf("first host: %+v", c)
	}
	w2 := watchDir(t, r2, w1.path, dropin.Options{Retry: 20 * time.Millisecond})
	if c := w2.next(t); !errors.Is(c.Err, registry.ErrExists) {
		t.Fatalf("second host: %+v; want ErrExists", c)
	}

	if err := w1.Close(); err != nil {
		t.Fatal(err)
	}
	if c := w2.next(t); c.Err != nil || c.Version != sum(v1) {
		t.Fatalf("second host once the first stopped: %+v; want v1 serving", c)
	}
	h, err := r1.Get(ctx, "ver")
	if err != nil {
		t.Fatal(err)
	}
	if h.Spec().Owner != r2.HostID() {
		t.Errorf("ver owned by %s, want the second host %s", h.Spec().Owner, r2.HostID())
	}
	if out, err := h.Call(ctx, "version", nil); err != nil || string(out) != "1" {
		t.Errorf("through the first host: %q, %v; want the first build", out, err)
	}
}

package dropin_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/plugins/dropin"
	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
	"github.com/sandhost/sandhost/registry"
)

var ctx = context.Background()

// versionSrc is a plugin whose builds answer "version" with their number.
const versionSrc = "plugins/dropin/testdata/version"

// build is build n of the version plugin.
func build(t *testing.T, n int) []byte {
	t.Helper()
	return wasmtest.BuildVariant(t, versionSrc, fmt.Sprintf("VERSION=%d", n))
}

func openRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	return openHost(t, "memory://"+strings.ReplaceAll(t.Name(), "/", "_"))
}

// openHost opens a host of namespace dsn; hosts of one dsn share it.
func openHost(t *testing.T, dsn string) *registry.Registry {
	t.Helper()
	r, err := registry.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// watched is a Dir under test and the changes it reports.
type watched struct {
	*dropin.Dir
	path    string
	changes chan dropin.Change
}

// watch serves a new temporary directory, after writing files into it.
func watch(t *testing.T, r *registry.Registry, o dropin.Options, files map[string][]byte) *watched {
	t.Helper()
	w := &watched{path: t.TempDir()}
	for name, b := range files {
		w.write(t, name, b)
	}
	return watchDir(t, r, w.path, o)
}

// watchDir serves dir (o.Logger, if nil, logs to the test's output).
func watchDir(t *testing.T, r *registry.Registry, dir string, o dropin.Options) *watched {
	t.Helper()
	w := &watched{path: dir, changes: make(chan dropin.Change, 64)}
	o.OnChange = func(c dropin.Change) {
		select {
		case w.changes <- c:
		default: // a Dir reporting in a loop: fail rather than block it
			t.Errorf("more than %d changes unread; dropped %+v", cap(w.changes), c)
		}
	}
	o.CacheDir = "-"
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testLog{t}, nil))
	}
	d, err := dropin.Watch(ctx, r, w.path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	w.Dir = d
	return w
}

// testLog shows a Dir's log with the test's output (when it fails, or
// with -v).
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// write writes a file in place, as a plain copy does: truncated, then
// written (not atomic).
func (w *watched) write(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(w.path, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (w *watched) remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(w.path, name)); err != nil {
		t.Fatal(err)
	}
}

// next returns the next change the Dir reports (10 s at most).
func (w *watched) next(t *testing.T) dropin.Change {
	t.Helper()
	select {
	case c := <-w.changes:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported after 10s")
		return dropin.Change{}
	}
}

// applied returns the next change that is not an error. A file written in
// place can be read between its truncation and its write when the machine
// stalls for longer than the settle time; that load fails, and the write's
// own event loads it again.
func (w *watched) applied(t *testing.T) dropin.Change {
	t.Helper()
	for {
		c := w.next(t)
		if c.Err == nil {
			return c
		}
		t.Logf("failed on the way: %+v", c)
	}
}

// call calls a method of the named service.
func call(t *testing.T, r *registry.Registry, name, method string) (string, error) {
	t.Helper()
	h, err := r.Get(ctx, name)
	if err != nil {
		return "", err
	}
	out, err := h.Call(ctx, method, nil)
	return string(out), err
}

func sum(b []byte) string { return wasm.Sum(b) }

// waitUntil polls cond until it holds or 10 s pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > 10*time.Second {
			t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(5 * time.Millisecond) // a poll, not synchronisation
	}
}

// logCount is a log handler that counts records by message, and shows
// them (Debug included) with the test's output.
type logCount struct {
	slog.Handler
	n *messages
}

type messages struct {
	mu sync.Mutex
	n  map[string]int
}

func newLogCount(t *testing.T) logCount {
	h := slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug})
	return logCount{h, &messages{n: map[string]int{}}}
}

func (l logCount) Handle(c context.Context, r slog.Record) error {
	l.n.mu.Lock()
	l.n.n[r.Message]++
	l.n.mu.Unlock()
	return l.Handler.Handle(c, r)
}

// WithAttrs and WithGroup keep the count: a Dir's logger has attributes.
func (l logCount) WithAttrs(as []slog.Attr) slog.Handler {
	return logCount{l.Handler.WithAttrs(as), l.n}
}

func (l logCount) WithGroup(name string) slog.Handler {
	return logCount{l.Handler.WithGroup(name), l.n}
}

// count is how many records said msg.
func (l logCount) count(msg string) int {
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	return l.n.n[msg]
}

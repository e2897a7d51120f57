package sandbox_test

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/sandbox"
)

// A compilation cache entry cut short (a crash or a full disk mid-write)
// costs one compile, with a warning naming the cache: it does not make every
// later compile of the module fail until someone deletes the cache by hand.
func TestCorruptCacheEntryIsRecompiled(t *testing.T) {
	ctx := context.Background()
	for _, eng := range sandbox.Engines() {
		t.Run(eng, func(t *testing.T) {
			dir := t.TempDir()
			var log bytes.Buffer
			compile := func() error {
				t.Helper()
				rt, err := sandbox.NewRuntime(ctx, sandbox.WithEngine(eng), sandbox.WithCacheDir(dir),
					sandbox.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
				if err != nil {
					t.Fatal(err)
				}
				defer rt.Close(ctx)
				mod, err := rt.Compile(ctx, "test", testModule())
				if err != nil {
					return err
				}
				in, err := mod.Instantiate(ctx, sandbox.InstanceConfig{})
				if err != nil {
					t.Fatal(err)
				}
				defer in.Close(ctx)
				if b, ok := in.Read(16, 2); !ok || string(b) != "hi" {
					t.Fatalf("the recompiled module's memory at 16: %q, %v", b, ok)
				}
				return nil
			}
			if err := compile(); err != nil {
				t.Fatal(err)
			}
			entries := 0
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					st, _ := d.Info()
					if err := os.Truncate(p, st.Size()/2); err != nil {
						t.Fatal(err)
					}
					entries++
				}
				return nil
			})
			if entries == 0 {
				t.Fatal("nothing was cached")
			}
			for i := range 2 {
				if err := compile(); err != nil {
					t.Fatalf("compile #%d after the cache entry was cut short: %v", i+1, err)
				}
			}
			if n := strings.Count(log.String(), "level=WARN"); n != 1 || !strings.Contains(log.String(), filepath.Join(dir, eng)) {
				t.Fatalf("want one warning naming the cache %s, got %d in:\n%s", filepath.Join(dir, eng), n, &log)
			}
		})
	}
}

package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// testModule assembles a tiny module: "spin" loops forever, "exit" calls
// proc_exit, "grow" grows memory by n pages (returning the old size or -1),
// and a data segment puts "hi" at address 16.
func testModule() []byte {
	sec := func(id byte, body ...byte) []byte { return append([]byte{id, byte(len(body))}, body...) }
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	var m []byte
	m = append(m, 0, 'a', 's', 'm', 1, 0, 0, 0)
	m = append(m, sec(1, 3, 0x60, 0, 0, 0x60, 1, 0x7f, 0, 0x60, 1, 0x7f, 1, 0x7f)...) // types
	imp := append([]byte{1}, str("wasi_snapshot_preview1")...)
	imp = append(imp, str("proc_exit")...)
	imp = append(imp, 0, 1)
	m = append(m, sec(2, imp...)...)
	m = append(m, sec(3, 3, 0, 1, 2)...) // functions
	m = append(m, sec(5, 1, 0, 1)...)    // memory: min 1 page
	exp := []byte{4}
	for i, name := range []string{"spin", "exit", "grow"} {
		exp = append(exp, str(name)...)
		exp = append(exp, 0, byte(i+1))
	}
	exp = append(exp, str("memory")...)
	exp = append(exp, 2, 0)
	m = append(m, sec(7, exp...)...)
	spin := []byte{0, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b}
	exit := []byte{0, 0x20, 0, 0x10, 0, 0x0b}
	grow := []byte{0, 0x20, 0, 0x40, 0, 0x0b}
	code := []byte{3}
	for _, body := range [][]byte{spin, exit, grow} {
		code = append(code, byte(len(body)))
		code = append(code, body...)
	}
	m = append(m, sec(10, code...)...)
	m = append(m, sec(11, 1, 0, 0x41, 16, 0x0b, 2, 'h', 'i')...) // data "hi" at 16
	return m
}

func runtimes(t *testing.T, memLimit int64) map[string]*sandbox.Runtime {
	out := map[string]*sandbox.Runtime{}
	for _, eng := range sandbox.Engines() {
		rt, err := sandbox.NewRuntime(context.Background(), sandbox.WithEngine(eng), sandbox.WithMemoryLimit(memLimit), sandbox.WithCacheDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rt.Close(context.Background()) })
		out[eng] = rt
	}
	return out
}

func instance(t *testing.T, rt *sandbox.Runtime, ic sandbox.InstanceConfig) *sandbox.Instance {
	t.Helper()
	mod, err := rt.Compile(context.Background(), "test", testModule())
	if err != nil {
		t.Fatal(err)
	}
	in, err := mod.Instantiate(context.Background(), ic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(context.Background()) })
	return in
}

// stopLimit is how late a guest may stop after its context ends. Stops take
// about a millisecond on wazy and a few on wazero; the margin is for a loaded
// 2-core machine under -race.
const stopLimit = time.Second

// A deadline stops a guest in a loop, and the stop itself is measured
// (apart from closing the instance, which frees its memory): a caller can
// rely on Call returning within stopLimit of its context's end.
func TestDeadlineStopsALoop(t *testing.T) {
	for eng, rt := range runtimes(t, 1<<20) {
		t.Run(eng, func(t *testing.T) {
			in := instance(t, rt, sandbox.InstanceConfig{})
			deadline := time.Now().Add(50 * time.Millisecond)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			_, err := in.Call(ctx, "spin")
			stop := time.Since(deadline)
			if !errors.Is(err, sandbox.ErrDeadline) {
				t.Fatalf("err = %v, want ErrDeadline", err)
			}
			if stop > stopLimit {
				t.Fatalf("stopped %v after the deadline", stop)
			}
			t0 := time.Now()
			if err := in.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Logf("stopped %v after the deadline; Close took %v", stop, time.Since(t0))
		})
	}
}

func TestExitAndMemoryLimit(t *testing.T) {
	for eng, rt := range runtimes(t, 4<<16) { // 4 pages
		t.Run(eng, func(t *testing.T) {
			in := instance(t, rt, sandbox.InstanceConfig{})
			res, err := in.Call(context.Background(), "grow", 2)
			if err != nil || int32(res[0]) != 1 {
				t.Fatalf("grow within the limit: %v %v", res, err)
			}
			res, err = in.Call(context.Background(), "grow", 10)
			if err != nil || int32(res[0]) != -1 {
				t.Fatalf("grow past the limit: %v %v, want -1", res, err)
			}
			_, err = in.Call(context.Background(), "exit", 7)
			var ee *sandbox.ExitError
			if !errors.As(err, &ee) || ee.Code != 7 || !errors.Is(err, sandbox.ErrExited) {
				t.Fatalf("exit: %v", err)
			}
		})
	}
	if _, err := sandbox.NewRuntime(context.Background(), sandbox.WithEngine("v8")); !errors.Is(err, sandbox.ErrUnknownEngine) {
		t.Fatalf("unknown engine: %v", err)
	}
}

func TestSnapshotCopyOnWrite(t *testing.T) {
	for eng, rt := range runtimes(t, 16<<16) {
		t.Run(eng, func(t *testing.T) {
			src := instance(t, rt, sandbox.InstanceConfig{})
			src.Write(100, []byte("state"))
			img, _ := src.Read(0, src.MemorySize())
			snap, err := sandbox.NewSnapshot(img)
			if err != nil {
				t.Fatal(err)
			}
			defer snap.Close()
			noData, err := sandbox.WithoutData(testModule())
			if err != nil {
				t.Fatal(err)
			}
			mod, err := rt.Compile(context.Background(), "nodata", noData)
			if err != nil {
				t.Fatal(err)
			}
			a, err := mod.Instantiate(context.Background(), sandbox.InstanceConfig{Snapshot: snap})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close(context.Background())
			b, _ := mod.Instantiate(context.Background(), sandbox.InstanceConfig{Snapshot: snap})
			defer b.Close(context.Background())
			if got, _ := a.Read(16, 2); string(got) != "hi" {
				t.Fatalf("data from the snapshot: %q", got)
			}
			a.Write(100, []byte("ALTER"))
			if got, _ := b.Read(100, 5); string(got) != "state" {
				t.Fatalf("a write in one instance reached another: %q", got)
			}
			// Growing works past the image, and restoring drops writes.
			if res, err := a.Call(context.Background(), "grow", 3); err != nil || int32(res[0]) != 1 {
				t.Fatalf("grow: %v %v", res, err)
			}
			a.Write(3<<16, []byte("x"))
			if err := a.RestoreSnapshot(); err != nil {
				t.Fatal(err)
			}
			if got, _ := a.Read(100, 5); string(got) != "state" {
				t.Fatalf("after restore: %q", got)
			}
		})
	}
}

func TestWithoutData(t *testing.T) {
	out, err := sandbox.WithoutData(testModule())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte{2, 'h', 'i'}) || len(out) >= len(testModule()) {
		t.Fatalf("data segment still there")
	}
	if _, err := sandbox.WithoutData([]byte("not wasm")); err == nil {
		t.Fatal("accepted garbage")
	}
}

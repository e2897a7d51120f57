package sandbox_test

import (
	"context"
	"testing"

	"github.com/sandhost/sandhost/sandbox"
)

// bulkModule is a module built with bulk memory: a data count section, an
// active segment "hi" at 16, and an exported function "f" with the body
// given (locals declaration included).
func bulkModule(body ...byte) []byte {
	sec := func(id byte, b ...byte) []byte { return append([]byte{id, byte(len(b))}, b...) }
	var m []byte
	m = append(m, 0, 'a', 's', 'm', 1, 0, 0, 0)
	m = append(m, sec(1, 1, 0x60, 0, 0)...)                                   // types: () -> ()
	m = append(m, sec(3, 1, 0)...)                                            // functions
	m = append(m, sec(5, 1, 0, 1)...)                                         // memory: min 1 page
	m = append(m, sec(7, 2, 1, 'f', 0, 0, 1, 'm', 2, 0)...)                   // exports f, m
	m = append(m, sec(12, 1)...)                                              // data count: 1
	m = append(m, sec(10, append([]byte{1, byte(len(body))}, body...)...)...) // code
	m = append(m, sec(11, 1, 0, 0x41, 16, 0x0b, 2, 'h', 'i')...)              // data "hi" at 16
	return m
}

// A module built with bulk memory (as clang's -mbulk-memory makes) loses
// its data and keeps working; one whose code uses its segments is refused
// when compiled, instead of running without the data it reads.
func TestWithoutDataBulkMemory(t *testing.T) {
	ctx := context.Background()
	plain := bulkModule(0, 0x0b) // no locals; end
	// memory.init 0 at 0 from 0, 2 bytes; end
	usesSegment := bulkModule(0, 0x41, 0, 0x41, 0, 0x41, 2, 0xfc, 8, 0, 0, 0x0b)
	for eng, rt := range runtimes(t, 16<<16) {
		t.Run(eng, func(t *testing.T) {
			for _, m := range [][]byte{plain, usesSegment} {
				if _, err := rt.Compile(ctx, "bulk", m); err != nil {
					t.Fatalf("the module as built does not compile: %v", err)
				}
			}
			noData, err := sandbox.WithoutData(plain)
			if err != nil {
				t.Fatal(err)
			}
			mod, err := rt.Compile(ctx, "bulk, no data", noData)
			if err != nil {
				t.Fatal(err)
			}
			in, err := mod.Instantiate(ctx, sandbox.InstanceConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close(ctx)
			if _, err := in.Call(ctx, "f"); err != nil {
				t.Fatal(err)
			}
			if got, _ := in.Read(16, 2); string(got) != "\x00\x00" {
				t.Fatalf("the data segment was applied: %q", got)
			}
			noData, err = sandbox.WithoutData(usesSegment)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rt.Compile(ctx, "memory.init, no data", noData); err == nil {
				t.Fatal("code that reads a data segment compiled without it")
			}
		})
	}
}

// MinMemory reads the module's initial memory: the least limit it can be
// instantiated under.
func TestMinMemory(t *testing.T) {
	for _, c := range []struct {
		m    []byte
		want int64
	}{
		{bulkModule(0, 0x0b), 1 << 16},
		{[]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 6, 1, 1, 0xc0, 2, 0xc0, 2}, 320 << 16}, // min 320 pages, max 320, in LEB128
		{[]byte{0, 'a', 's', 'm', 1, 0, 0, 0}, 0},
	} {
		if got, err := sandbox.MinMemory(c.m); err != nil || got != c.want {
			t.Errorf("MinMemory = %d, %v; want %d", got, err, c.want)
		}
	}
	if _, err := sandbox.MinMemory([]byte("not wasm")); err == nil {
		t.Error("MinMemory of a non-module: no error")
	}
}

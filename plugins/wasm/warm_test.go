package wasm

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
)

// Only the initialisation export is renamed: the module compiles with its
// other exports as they were. A module without one, or one that is not a
// module, is left as it is.
func TestHideInitExports(t *testing.T) {
	ctx := context.Background()
	exports := func(module []byte) []string {
		t.Helper()
		e, err := exportedFunctions(ctx, wazero.NewRuntimeConfig(), module)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(e)
		return e
	}
	module := wasmtest.Build(t, "plugins/wasm/testdata/misbehave")
	out, renamed := hideInitExports(module)
	if !slices.Equal(renamed, []string{"_sandhost_initialize"}) {
		t.Fatalf("renamed %v, want [_sandhost_initialize]", renamed)
	}
	want := exports(module)
	want[slices.Index(want, "_initialize")] = "_sandhost_initialize"
	slices.Sort(want)
	if got := exports(out); !slices.Equal(got, want) {
		t.Errorf("exports after renaming %v, want %v", got, want)
	}
	for name, m := range map[string][]byte{
		"a C module without initialisation": wasmtest.Build(t, "plugins/wasm/examples/c-echo"),
		"a module cut in its first section": module[:10],
		"not a module":                      []byte("hello, world"),
	} {
		if out, renamed := hideInitExports(m); !bytes.Equal(out, m) || renamed != nil {
			t.Errorf("%s: changed (renamed %v)", name, renamed)
		}
	}
}

// Command buildplugins builds the example plugins of plugins/wasm/examples
// into a directory, NAME.wasm each, ready for `host serve --plugins DIR` or
// `host register NAME wasm --module DIR/NAME.wasm`. `make plugins` runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
)

func main() {
	out := flag.String("out", "bin/plugins", "directory to write NAME.wasm into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "buildplugins:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	dirs, err := filepath.Glob("plugins/wasm/examples/*")
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("no plugins/wasm/examples here: run from the repository root")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, dir := range dirs {
		mod, err := wasmtest.Module(dir)
		if err != nil {
			return err
		}
		dst := filepath.Join(out, filepath.Base(dir)+".wasm")
		if err := os.WriteFile(dst, mod, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s (%d KiB)\n", dst, len(mod)>>10)
	}
	return nil
}

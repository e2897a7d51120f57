package main

import (
	"os"
	"path/filepath"
	"testing"
)

// --module with another factory is a usage error naming the factory it is
// for, not that factory's complaint about args it was never meant to get.
func TestRegisterModuleIsForTheWasmFactory(t *testing.T) {
	dsn := startHost(t)
	file := filepath.Join(t.TempDir(), "tokenizer.wasm")
	if err := os.WriteFile(file, []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantUsageError(t, []string{"register", "--redis", dsn, "bad4", "tokenizer", "--module", file}, "--module is for factory wasm")
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
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

// After a reset, a module named by its sum is gone: the error says so and
// how to store it again, not "service not found".
func TestRegisterAfterResetSaysTheModuleIsNotStored(t *testing.T) {
	dsn := startHost(t)
	module := wasmtest.Build(t, "plugins/wasm/testdata/lifecycle")
	file := filepath.Join(t.TempDir(), "lifecycle.wasm")
	if err := os.WriteFile(file, module, 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, nil, "register", "--redis", dsn, "p", "wasm", "--module", file)
	mustCLI(t, nil, "reset", "--redis", dsn)
	_, errOut, code := cli(t, nil, "register", "--redis", dsn, "p", "wasm", "--args", `{"module_sha256":"`+wasm.Sum(module)+`"}`)
	if code != 1 || !strings.Contains(errOut, "is not stored in this namespace") || !strings.Contains(errOut, "--module") {
		t.Fatalf("register by sum after a reset: exit %d, stderr %q; want exit 1 saying the module is not stored and to give --module", code, errOut)
	}
	mustCLI(t, nil, "register", "--redis", dsn, "p", "wasm", "--module", file)
}

// Registering a name that is taken says what to run to see it, not the Go
// API's advice.
func TestRegisterTakenNameSaysHowToSeeIt(t *testing.T) {
	dsn := startHost(t)
	mustCLI(t, nil, "register", "--redis", dsn, "tok", "tokenizer", "--args", `{"vocab_size": 100}`)
	_, errOut, code := cli(t, nil, "register", "--redis", dsn, "tok", "tokenizer", "--args", `{"vocab_size": 100}`)
	if code != 1 || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "host get tok") || strings.Contains(errOut, "use Get") {
		t.Fatalf("register of a taken name: exit %d, stderr %q; want exit 1 saying it exists and `host get tok`", code, errOut)
	}
}

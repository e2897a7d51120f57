package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/exampletest"
	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

// The example, run as a user runs it with two builds of the greeter:
// added, called, upgraded, called again with the new build's answer,
// removed.
func TestDropInUpgradeRemove(t *testing.T) {
	dir := t.TempDir()
	hello := filepath.Join(dir, "hello.wasm")
	bonjour := filepath.Join(dir, "bonjour.wasm")
	for path, b := range map[string][]byte{
		hello:   wasmtest.Build(t, "examples/plugin-dropin/greeter"),
		bonjour: wasmtest.BuildVariant(t, "examples/plugin-dropin/greeter", "greeting=bonjour"),
	} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exampletest.Command(hello, bonjour)
	var logs strings.Builder
	cmd.Stderr = &logs
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("example: %v\n%s%s", err, out, logs.String())
	}
	want := regexp.MustCompile(`(?s)greeter added, version [0-9a-f]{12}\n` +
		`greeter.greet\("world"\) = "hello, world!"\n` +
		`greeter upgraded, version [0-9a-f]{12} \(was [0-9a-f]{12}\)\n` +
		`greeter.greet\("world"\) = "bonjour, world!"\n` +
		`greeter removed \(was [0-9a-f]{12}\)\n` +
		`greeter registered: false\n`)
	if !want.Match(out) {
		t.Fatalf("example output:\n%s\nwant the add, hello, the upgrade, bonjour, the removal; its log:\n%s", out, logs.String())
	}
}

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

// An example that fails (here: a first build that is not a module) exits
// with an error and leaves no temporary directory behind.
func TestDropInFailureRemovesItsDirectory(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	bad := filepath.Join(dir, "bad.wasm")
	if err := os.WriteFile(bad, []byte("not a module"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exampletest.Command(bad, bad)
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	var logs strings.Builder
	cmd.Stderr = &logs
	if out, err := cmd.Output(); err == nil {
		t.Fatalf("example with a bad module succeeded:\n%s%s", out, logs.String())
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if strings.HasPrefix(e.Name(), "plugins") {
			t.Fatalf("the failed example left %s in TMPDIR; its log:\n%s", e.Name(), logs.String())
		}
	}
}

// Package wasmtest builds the plugins of this repository for tests and
// benchmarks: plugins/wasm/examples/* and plugins/wasm/testdata/*. Go
// plugins build with the standard Go toolchain (GOOS=wasip1 GOARCH=wasm,
// -buildmode=c-shared), C plugins (a directory of .c files) with Debian's
// clang-19 (freestanding: no libc, so no sysroot), which `make test`
// installs for the CPython build. Builds are cached under sandhost's cache
// directory, keyed by the sources and the tools.
package wasmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sandhost/sandhost/sandbox"
)

// built memoises builds within one test binary.
var built sync.Map // package dir and defines -> []byte

// Build returns the module of the plugin in dir, a directory relative to
// the repository root such as "plugins/wasm/examples/counter".
func Build(tb testing.TB, dir string) []byte {
	tb.Helper()
	return BuildVariant(tb, dir)
}

// BuildVariant returns the module of the plugin in dir built with defines,
// each "NAME=VALUE": a C macro (-D) for a C plugin, a string variable of
// package main (-ldflags -X main.NAME=VALUE) for a Go plugin. Two variants
// of one source are two versions of a plugin that answer differently.
func BuildVariant(tb testing.TB, dir string, defines ...string) []byte {
	tb.Helper()
	id := strings.Join(append([]string{dir}, defines...), "\x00")
	if b, ok := built.Load(id); ok {
		return b.([]byte)
	}
	b, err := build(dir, defines)
	if err != nil {
		tb.Fatalf("build plugin %s %v: %v", dir, defines, err)
	}
	built.Store(id, b)
	return b
}

func build(dir string, defines []string) ([]byte, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	key, err := sourceKey(root, dir, defines)
	if err != nil {
		return nil, err
	}
	cached := filepath.Join(sandbox.CacheRoot(), "plugins", filepath.Base(dir)+"-"+key+".wasm")
	if b, err := os.ReadFile(cached); err == nil {
		return b, nil
	}
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		return nil, err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", cached, os.Getpid())
	cmd, err := buildCommand(root, dir, tmp, defines)
	if err != nil {
		return nil, err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	if err := os.Rename(tmp, cached); err != nil { // atomic: concurrent builders agree
		return nil, err
	}
	return os.ReadFile(cached)
}

// Clang is the C compiler of C plugins.
const Clang = "clang-19"

// buildCommand is the build of the plugin in dir: clang for a directory of
// C files, exporting the functions the sources mark with export_name, else
// go build.
func buildCommand(root, dir, out string, defines []string) (*exec.Cmd, error) {
	cfiles, err := filepath.Glob(filepath.Join(root, dir, "*.c"))
	if err != nil {
		return nil, err
	}
	if len(cfiles) == 0 {
		args := []string{"build", "-buildmode=c-shared", "-trimpath", "-o", out}
		if len(defines) > 0 {
			var x []string
			for _, d := range defines {
				x = append(x, "-X", "main."+d)
			}
			args = append(args, "-ldflags="+strings.Join(x, " "))
		}
		cmd := exec.Command("go", append(args, "./"+dir)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		return cmd, nil
	}
	if _, err := exec.LookPath(Clang); err != nil {
		return nil, fmt.Errorf("C plugins need %s (apt-get install clang-19 lld-19, or run `make test`): %w", Clang, err)
	}
	args := []string{"--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-o", out}
	for _, d := range defines {
		args = append(args, "-D"+d)
	}
	args = append(args, cfiles...)
	return exec.Command(Clang, args...), nil
}

// repoRoot is the directory of this module's go.mod.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the repository")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// sourceKey hashes what the build reads: the plugin's sources, the guest
// package, go.mod and go.sum, the toolchain's version and the defines.
func sourceKey(root, dir string, defines []string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version(), Clang)
	fmt.Fprintf(h, "%q\n", defines)
	var files []string
	for _, d := range []string{dir, "plugins/wasm/guest"} {
		for _, ext := range []string{"*.go", "*.c"} {
			m, err := filepath.Glob(filepath.Join(root, d, ext))
			if err != nil {
				return "", err
			}
			files = append(files, m...)
		}
	}
	sort.Strings(files)
	files = append(files, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", strings.TrimPrefix(f, root), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Module builds the plugin in dir (as Build does, through the same cache)
// outside a test: `make plugins` uses it.
func Module(dir string, defines ...string) ([]byte, error) { return build(dir, defines) }

package pyexec_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/pyexec"
)

// The stdlib's name comes from the build, so a build of another CPython
// minor is mounted where its interpreter looks; a build with two stdlibs is
// refused rather than guessed at.
func TestFindArtefactsReadsTheStdlibFromTheBuild(t *testing.T) {
	t.Setenv("SANDHOST_PYTHON_DIR", "")
	t.Setenv("SANDHOST_CACHE", t.TempDir()) // no cached build to fall back on
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "python.wasm"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lib", "python3.99"), 0o755); err != nil {
		t.Fatal(err)
	}
	art, err := pyexec.FindArtefacts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if art.Stdlib != filepath.Join(dir, "lib", "python3.99") || art.GuestStdlib != "/usr/local/lib/python3.99" {
		t.Fatalf("stdlib %q mounted at %q", art.Stdlib, art.GuestStdlib)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lib", "python3.98"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := pyexec.FindArtefacts(dir); !errors.Is(err, pyexec.ErrNoPython) {
		t.Fatalf("two stdlibs: %v", err)
	}
}

// A packages directory is used only when built for the stdlib's CPython
// minor (its .pyc are that version's). One named by option or environment
// that is not usable is an error; a missing cache is not (packages are
// optional), and the pool then mounts none.
func TestFindPackagesMatchesTheStdlib(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("SANDHOST_CACHE", cache)
	t.Setenv("SANDHOST_PACKAGES_DIR", "")
	art := pyexec.Artefacts{Stdlib: filepath.Join(t.TempDir(), "lib", "python3.13")}
	if site, err := pyexec.FindPackages("", art); site != "" || err != nil {
		t.Fatalf("empty cache: %q, %v", site, err)
	}
	built := func(dir, python string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "site"), 0o755); err != nil {
			t.Fatal(err)
		}
		manifest := "key=x\npython=" + python + "\npackage=python3-sympy 1.13.3-5 26788498\n"
		if err := os.WriteFile(filepath.Join(dir, "manifest.txt"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, "site")
	}
	cached := built(filepath.Join(cache, "python-packages", "current"), "3.13")
	if site, err := pyexec.FindPackages("", art); site != cached || err != nil {
		t.Fatalf("cache: %q, %v", site, err)
	}
	other := built(t.TempDir(), "3.12")
	if _, err := pyexec.FindPackages(filepath.Dir(other), art); !errors.Is(err, pyexec.ErrNoPackages) {
		t.Fatalf("a 3.12 build for 3.13 by option: %v", err)
	}
	t.Setenv("SANDHOST_PACKAGES_DIR", filepath.Dir(other))
	if _, err := pyexec.FindPackages("", art); !errors.Is(err, pyexec.ErrNoPackages) {
		t.Fatalf("a 3.12 build for 3.13 by environment: %v", err)
	}
	good := built(t.TempDir(), "3.13")
	if site, err := pyexec.FindPackages(filepath.Dir(good), art); site != good || err != nil {
		t.Fatalf("by option: %q, %v", site, err)
	}
	t.Setenv("SANDHOST_PACKAGES_DIR", "")
	built(filepath.Join(cache, "python-packages", "current"), "3.12")
	if site, err := pyexec.FindPackages("", art); site != "" || err != nil {
		t.Fatalf("a stale cache: %q, %v", site, err)
	}
}

// A build directory named by option or environment is the one used: one
// without python.wasm is an error naming it, not a silent fall back on the
// cache (which would run another interpreter than the one asked for).
func TestFindArtefactsExplicitDirIsNotOneCandidateAmongOthers(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("SANDHOST_CACHE", cache)
	t.Setenv("SANDHOST_PYTHON_DIR", "")
	current := filepath.Join(cache, "python-wasm", "current")
	if err := os.MkdirAll(filepath.Join(current, "lib", "python3.99"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(current, "python.wasm"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if art, err := pyexec.FindArtefacts(""); err != nil || art.Dir != current {
		t.Fatalf("the cache: %+v, %v", art, err)
	}
	empty := t.TempDir()
	if _, err := pyexec.FindArtefacts(empty); !errors.Is(err, pyexec.ErrNoPython) || !strings.Contains(err.Error(), empty) {
		t.Fatalf("by option, a directory without python.wasm: %v; want ErrNoPython naming %s", err, empty)
	}
	t.Setenv("SANDHOST_PYTHON_DIR", "/nonexistent")
	if _, err := pyexec.FindArtefacts(""); !errors.Is(err, pyexec.ErrNoPython) || !strings.Contains(err.Error(), "/nonexistent") {
		t.Fatalf("by environment, a missing directory: %v; want ErrNoPython naming it", err)
	}
	if art, err := pyexec.FindArtefacts(current); err != nil || art.Dir != current {
		t.Fatalf("the option before the environment: %+v, %v", art, err)
	}
}

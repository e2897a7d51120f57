package pyexec_test

import (
	"errors"
	"os"
	"path/filepath"
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

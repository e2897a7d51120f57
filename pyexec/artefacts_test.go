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

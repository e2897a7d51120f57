package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/pyexec"
)

// needPython fails the test when the CPython build is missing: `make test`
// builds it, and a skip would hide a feature that does not work.
func needPython(t *testing.T) {
	t.Helper()
	if _, err := pyexec.FindArtefacts(""); err != nil {
		t.Fatal(err)
	}
}

// Code comes from standard input with -, or from a file with -f; the code
// itself still gets an empty standard input.
func TestExecLocalCodeFromStdinAndFile(t *testing.T) {
	needPython(t)
	newStore(t) // no SANDHOST_REDIS: a local pool
	code := "import sys\nprint(sum(range(10)), repr(sys.stdin.read()))\n"
	if got := mustCLI(t, strings.NewReader(code), "exec", "-"); got != "45 ''\n" {
		t.Fatalf("exec - = %q, want %q", got, "45 ''\n")
	}
	file := filepath.Join(t.TempDir(), "script.py")
	if err := os.WriteFile(file, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := mustCLI(t, strings.NewReader("ignored"), "exec", "-f", file); got != "45 ''\n" {
		t.Fatalf("exec -f = %q, want %q", got, "45 ''\n")
	}
}

// --mount shows a host directory to the code, read-only; it may be given
// more than once.
func TestExecLocalMount(t *testing.T) {
	needPython(t)
	newStore(t)
	data, more := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(data, "x.csv"), []byte("a,b\n1,2\n"), 0o600)
	os.WriteFile(filepath.Join(more, "y.txt"), []byte("second"), 0o600)
	got := mustCLI(t, nil, "exec", "--mount", data+":/data", "--mount", more+":/more",
		"print(open('/data/x.csv').read().splitlines()[1], open('/more/y.txt').read())")
	if got != "1,2 second\n" {
		t.Fatalf("exec with mounts = %q, want %q", got, "1,2 second\n")
	}
	_, errOut, code := cli(t, nil, "exec", "--mount", data+":/data", "open('/data/new.txt', 'w').write('x')")
	if code != 1 || !strings.Contains(errOut, "Error") {
		t.Fatalf("writing to a mount: exit %d, stderr %q; want exit 1 and the Python error", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "new.txt")); !os.IsNotExist(err) {
		t.Fatalf("the code wrote into the mounted host directory (stat: %v)", err)
	}
	if _, _, code := cli(t, nil, "exec", "print(open('/data/x.csv').read())"); code != 1 {
		t.Fatalf("without --mount the directory is visible (exit %d)", code)
	}
	wantUsageError(t, []string{"exec", "--mount", data, "print(1)"}, "want HOSTDIR:/GUESTDIR")
}

// Code that only prints a warning ran to the end: exit 0, the warning on
// stderr; code that raises exits 1.
func TestExecWarningIsNotAFailure(t *testing.T) {
	needPython(t)
	newStore(t)
	out, errOut, code := cli(t, nil, "exec", "x = 0\nprint('ok' if x is 0 else 'no')")
	if code != 0 || out != "ok\n" || !strings.Contains(errOut, "SyntaxWarning") {
		t.Fatalf("exec of code with a SyntaxWarning: exit %d, stdout %q, stderr %q; want exit 0, ok, the warning", code, out, errOut)
	}
	if _, errOut, code := cli(t, nil, "exec", "raise ValueError('bad')"); code != 1 || !strings.Contains(errOut, "exception") {
		t.Fatalf("exec of raising code: exit %d, stderr %q; want exit 1 naming the exception", code, errOut)
	}
}

// A --memory below what an interpreter needs to start is a usage error
// saying the least, not the engine's words about pages and wasm sections.
func TestExecLocalMemoryBelowTheInterpretersLeast(t *testing.T) {
	needPython(t)
	newStore(t)
	wantUsageError(t, []string{"exec", "--memory", "16MiB", "print(1)"}, "memory limit 16 MiB is below the", "an interpreter needs at least")
	wantUsageError(t, []string{"exec", "--json", "--memory", "16MiB", "print(1)"}, "an interpreter needs at least")
}

// A --mount whose host directory is missing says so, and one that is a
// file says that: both are bad input (exit 2).
func TestExecLocalMountMissingOrNotADirectory(t *testing.T) {
	needPython(t)
	newStore(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nodata")
	wantUsageError(t, []string{"exec", "--mount", missing + ":/data", "print(1)"}, "mount "+missing+": does not exist")
	wantUsageError(t, []string{"exec", "--mount", file + ":/data", "print(1)"}, "mount "+file+": not a directory")
}

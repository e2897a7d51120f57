package pyexec_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/sandbox"
)

// suitePool is a pool of one interpreter that sees the build's Lib/test where
// a native install has it, as README's "CPython's own regression tests"
// paragraph says to mount it.
func suitePool(t *testing.T, timeout time.Duration) *pyexec.Pool {
	t.Helper()
	art, err := pyexec.FindArtefacts("")
	if err != nil {
		t.Fatal(err)
	}
	p, err := pyexec.NewPool(context.Background(), pyexec.Options{Size: 1, Timeout: timeout, Mounts: []sandbox.Mount{{
		HostDir:   filepath.Join(art.Dir, "lib-test"),
		GuestPath: art.GuestStdlib + "/test",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var suiteSummary = regexp.MustCompile(`ran (\d+), failures (\d+), errors (\d+), skipped (\d+)\n`)

// CPython's own regression tests pass inside the sandbox, run the
// documented way (wasm/python/run_cpython_tests.py and its TESTS list,
// package tests included): a test of the list that breaks in the sandbox
// fails this test.
func TestCPythonSuiteInSandbox(t *testing.T) {
	script, err := os.ReadFile("../wasm/python/run_cpython_tests.py")
	if err != nil {
		t.Fatal(err)
	}
	p := suitePool(t, 5*time.Minute)
	r, err := p.Execute(context.Background(), string(script))
	if err != nil {
		t.Fatal(err)
	}
	m := suiteSummary.FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("no summary line; stdout:\n%s\nstderr:\n%s", tail(r.Stdout), tail(r.Stderr))
	}
	ran, _ := strconv.Atoi(m[1])
	// The default list runs about 5,400 tests; the script also fails when
	// a module has none (a package whose discovery found nothing).
	if !r.Success || m[2] != "0" || m[3] != "0" || ran < 5000 {
		t.Fatalf("%s\n%s", tail(r.Stdout), tail(r.Stderr))
	}
	t.Logf("%s in %v", m[0][:len(m[0])-1], r.Duration)
}

// Two sqlite3 connections to one database in /tmp work as natively: a
// reader sees the committed state while the other connection writes, then
// the new rows once it commits (with SQLite's WASI default, dot-file locks,
// the reader failed with "database is locked").
func TestSQLiteConnectionsShareAFile(t *testing.T) {
	p := suitePool(t, 30*time.Second)
	r, err := p.Execute(context.Background(), `
import sqlite3
a = sqlite3.connect('/tmp/shared.db', timeout=0.2)
b = sqlite3.connect('/tmp/shared.db', timeout=0.2)
a.execute('create table t(x)')
a.commit()
a.execute('insert into t values (1)')            # a's transaction is open
print(b.execute('select count(*) from t').fetchone()[0])
a.commit()
print(b.execute('select count(*) from t').fetchone()[0])
b.execute('insert into t values (2)')
b.commit()
print(a.execute('select sum(x) from t').fetchone()[0])
`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stdout != "0\n1\n3\n" || !r.Success {
		t.Fatalf("stdout %q, want \"0\\n1\\n3\\n\"; stderr:\n%s", r.Stdout, r.Stderr)
	}
}

// tail is the end of a long output, enough to read a failure.
func tail(s string) string {
	if len(s) > 8000 {
		return "…" + s[len(s)-8000:]
	}
	return s
}

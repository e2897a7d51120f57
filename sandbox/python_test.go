package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// CPython runs on both engines: these tests start the build's command-line
// python (python-command.wasm, `python -c CODE`) straight on the sandbox, so
// what the sandbox promises (deadlines in C loops and sleeps, the memory
// limit, a private /tmp, capped output) is checked on wazero as on wazy,
// without the pool above it.

// cpython is the build found as pyexec finds it ($SANDHOST_PYTHON_DIR, then
// the cache's python-wasm/current).
type cpython struct {
	wasm      []byte
	stdlib    string // host directory lib/python3.X
	guestPath string // where the interpreter looks for it
}

var (
	cpythonOnce  sync.Once
	cpythonBuild cpython
	cpythonErr   error
)

func findCPython(t testing.TB) cpython {
	t.Helper()
	cpythonOnce.Do(func() {
		dir := os.Getenv("SANDHOST_PYTHON_DIR")
		if dir == "" {
			dir = filepath.Join(sandbox.CacheRoot(), "python-wasm", "current")
		}
		libs, _ := filepath.Glob(filepath.Join(dir, "lib", "python3.*"))
		if len(libs) != 1 {
			cpythonErr = errors.New("no CPython build in " + dir + ": run make python-wasm")
			return
		}
		wasm, err := os.ReadFile(filepath.Join(dir, "python-command.wasm"))
		if err != nil {
			cpythonErr = err
			return
		}
		cpythonBuild = cpython{wasm: wasm, stdlib: libs[0], guestPath: "/usr/local/lib/" + filepath.Base(libs[0])}
	})
	if cpythonErr != nil {
		t.Fatal(cpythonErr)
	}
	return cpythonBuild
}

// pythonRuntimes are one runtime per engine with a 128 MiB limit and the
// shared on-disk compilation cache (compiling python.wasm for wazero takes
// tens of seconds once), each with python compiled.
var (
	pyRuntimesOnce sync.Once
	pyModules      map[string]*sandbox.Module
	pyRuntimesErr  error
)

const pythonMemLimit = 128 << 20

func pythonModules(t *testing.T) map[string]*sandbox.Module {
	t.Helper()
	py := findCPython(t)
	pyRuntimesOnce.Do(func() {
		pyModules = map[string]*sandbox.Module{}
		for _, eng := range sandbox.Engines() {
			// Kept for the test process: compiled once for every test.
			rt, err := sandbox.NewRuntime(context.Background(), sandbox.WithEngine(eng), sandbox.WithMemoryLimit(pythonMemLimit))
			if err != nil {
				pyRuntimesErr = err
				return
			}
			mod, err := rt.Compile(context.Background(), "python-command", py.wasm)
			if err != nil {
				pyRuntimesErr = err
				return
			}
			pyModules[eng] = mod
		}
	})
	if pyRuntimesErr != nil {
		t.Fatal(pyRuntimesErr)
	}
	return pyModules
}

// pyRun is how one `python -c code` run ended.
type pyRun struct {
	stdout, stderr bytes.Buffer // written on the test's goroutine, which runs the guest
	err            error        // nil, an *ExitError, ErrDeadline, ...
	closeTook      time.Duration
}

// pyOpts are a run's settings beside its code.
type pyOpts struct {
	scratch   *sandbox.Scratch // /tmp, if any
	started   func()           // called when the guest writes "started" to fd 1
	outputCap int              // InstanceConfig.OutputCap
	bridge    sandbox.Bridge   // InstanceConfig.Bridge
	// ended is called with the instance of a guest that exited with 0,
	// before it is closed (which removes its /tmp).
	ended func(*sandbox.Instance)
}

// runPython runs code to its end: its exit, or ctx's end.
func runPython(ctx context.Context, t *testing.T, mod *sandbox.Module, code string, o pyOpts) *pyRun {
	t.Helper()
	py := findCPython(t)
	r := &pyRun{}
	var stdout io.Writer = &r.stdout
	if o.started != nil {
		stdout = &markWriter{Writer: stdout, mark: []byte("started"), seen: o.started}
	}
	in, err := mod.Instantiate(ctx, sandbox.InstanceConfig{
		Name:      "python",
		Mounts:    []sandbox.Mount{{HostDir: py.stdlib, GuestPath: py.guestPath}},
		Env:       map[string]string{"PYTHONHOME": "/usr/local", "PYTHONDONTWRITEBYTECODE": "1"},
		Args:      []string{"python3", "-c", code},
		Stdout:    stdout,
		Stderr:    &r.stderr,
		OutputCap: o.outputCap,
		Start:     []string{"_start"},
		Scratch:   o.scratch,
		Bridge:    o.bridge,
	})
	if in != nil {
		if o.ended != nil {
			o.ended(in)
		}
		t0 := time.Now()
		in.Close(context.Background())
		r.closeTook = time.Since(t0)
	}
	var ee *sandbox.ExitError
	if errors.As(err, &ee) && ee.Code == 0 {
		err = nil // sys.exit(0)
	}
	r.err = err
	return r
}

// markWriter calls seen once, at the first write that holds mark.
type markWriter struct {
	io.Writer
	mark []byte
	once sync.Once
	seen func()
}

func (m *markWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, m.mark) {
		m.once.Do(m.seen)
	}
	return m.Writer.Write(p)
}

func TestPythonOnEachEngine(t *testing.T) {
	for eng, mod := range pythonModules(t) {
		t.Run(eng, func(t *testing.T) {
			t.Run("runs", func(t *testing.T) {
				r := runPython(context.Background(), t, mod, "import json, sys; print(json.dumps({'a': [1, 2]}), sys.platform)", pyOpts{})
				if r.err != nil || r.stdout.String() != "{\"a\": [1, 2]} wasi\n" {
					t.Fatalf("err %v, stdout %q, stderr %q", r.err, &r.stdout, &r.stderr)
				}
				t.Logf("closing the interpreter took %v", r.closeTook)
			})
			// A deadline stops a loop inside C (no Python bytecode runs
			// to check it) and a sleep, promptly.
			for name, code := range map[string]string{
				"c_loop": "sum(range(10**15))",
				"sleep":  "import time; time.sleep(30)",
			} {
				t.Run(name+"_stops_at_deadline", func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					var cancelled time.Time
					started := func() { // on the guest's goroutine, in its write
						cancelled = time.Now()
						cancel()
					}
					r := runPython(ctx, t, mod, "import os; os.write(1, b'started\\n'); "+code, pyOpts{started: started})
					if cancelled.IsZero() {
						t.Fatalf("never started: err %v, stderr %q", r.err, &r.stderr)
					}
					stop := time.Since(cancelled)
					if !errors.Is(r.err, sandbox.ErrDeadline) {
						t.Fatalf("err = %v, want ErrDeadline (stderr %q)", r.err, &r.stderr)
					}
					if stop > stopLimit {
						t.Fatalf("stopped %v after its context ended", stop)
					}
					t.Logf("stopped %v after its context ended", stop)
				})
			}
			t.Run("memory_limit", func(t *testing.T) {
				r := runPython(context.Background(), t, mod, "b = bytearray(200 << 20)", pyOpts{})
				var ee *sandbox.ExitError
				if !errors.As(r.err, &ee) || ee.Code != 1 || !strings.Contains(r.stderr.String(), "MemoryError") {
					t.Fatalf("err %v, stderr %q; want exit 1 with MemoryError", r.err, &r.stderr)
				}
			})
			t.Run("tmp", func(t *testing.T) {
				sc, err := sandbox.NewScratch(1 << 20)
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Remove()
				// A file the host put there counts once, however the guest
				// rewrites it.
				if err := sc.WriteFile("in.txt", bytes.Repeat([]byte("i"), 1000)); err != nil {
					t.Fatal(err)
				}
				r := runPython(context.Background(), t, mod, `
import errno, os
print(len(open('/tmp/in.txt').read()))
with open('/tmp/in.txt', 'w') as f: f.write('z' * 10)
with open('/tmp/a.txt', 'w') as f: f.write('x' * 1000)
os.mkdir('/tmp/d')
os.rename('/tmp/a.txt', '/tmp/d/b.txt')
print(open('/tmp/d/b.txt').read() == 'x' * 1000, sorted(os.listdir('/tmp')))
try:
    with open('/tmp/big', 'wb') as f: f.write(b'y' * (2 << 20))
except OSError as e:
    print('full', errno.errorcode[e.errno])
try:
    os.symlink('/etc/passwd', '/tmp/link')
except OSError as e:
    print('no links', errno.errorcode[e.errno])
`, pyOpts{scratch: sc, ended: func(*sandbox.Instance) {
					if b, err := sc.ReadFile("/tmp/d/b.txt", 1000); err != nil || len(b) != 1000 {
						t.Errorf("read back the guest's file: %d bytes, %v", len(b), err)
					}
				}})
				want := "1000\nTrue ['d', 'in.txt']\nfull EIO\nno links EPERM\n"
				if r.err != nil || r.stdout.String() != want {
					t.Fatalf("err %v, stdout %q, want %q; stderr %q", r.err, &r.stdout, want, &r.stderr)
				}
				if sc.Used() != 1010 || !sc.Full() {
					t.Fatalf("/tmp used %d bytes (want 1010), full %v (want true)", sc.Used(), sc.Full())
				}
			})
			// The cap counts every byte /tmp holds: a directory's files
			// after it is renamed, and a file unlinked or renamed over while
			// still open until it is closed (tempfile.TemporaryFile is such a
			// file, so unlinking open files must keep working).
			t.Run("tmp_cap_holds", func(t *testing.T) {
				sc, err := sandbox.NewScratch(1 << 20)
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Remove()
				r := runPython(context.Background(), t, mod, `
import errno, os, tempfile
def fill(p):
    try:
        with open(p, 'wb') as f: f.write(b'y' * (800 << 10))
        return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
os.mkdir('/tmp/d')
print('dir', fill('/tmp/d/f'))
os.rename('/tmp/d', '/tmp/e')
os.mkdir('/tmp/d')
print('beside renamed dir', fill('/tmp/d/f'))
os.unlink('/tmp/e/f')
print('renamed file removed', fill('/tmp/d/f'))
os.unlink('/tmp/d/f')
f = open('/tmp/a', 'wb'); f.write(b'y' * (800 << 10)); f.flush()
os.unlink('/tmp/a')
print('beside unlinked open file', fill('/tmp/b'))
f.close()
print('once closed', fill('/tmp/b'))
os.unlink('/tmp/b')
f = open('/tmp/a', 'wb'); f.write(b'y' * (800 << 10)); f.flush()
open('/tmp/c', 'wb').close()
os.rename('/tmp/c', '/tmp/a')
print('beside replaced open file', fill('/tmp/b'))
f.close()
print('once closed', fill('/tmp/b'))
os.unlink('/tmp/b')
with tempfile.TemporaryFile(dir='/tmp') as tf:
    tf.write(b'y' * (800 << 10)); tf.seek(0)
    print('tempfile', len(tf.read()), fill('/tmp/b'))
print('tempfile closed', fill('/tmp/b'))
`, pyOpts{scratch: sc})
				want := "dir ok\nbeside renamed dir EIO\nrenamed file removed ok\n" +
					"beside unlinked open file EIO\nonce closed ok\n" +
					"beside replaced open file EIO\nonce closed ok\n" +
					"tempfile 819200 EIO\ntempfile closed ok\n"
				if r.err != nil || r.stdout.String() != want {
					t.Fatalf("err %v, stdout %q, want %q; stderr %q", r.err, &r.stdout, want, &r.stderr)
				}
				if sc.Used() != 800<<10 {
					t.Fatalf("/tmp used %d bytes, want %d (/tmp/b)", sc.Used(), 800<<10)
				}
			})
			// Writes to the file descriptors themselves (not sys.stdout)
			// reach the capped writers: a guest cannot print past the cap.
			t.Run("fd_writes_capped", func(t *testing.T) {
				var out, errOut sandbox.Output
				r := runPython(context.Background(), t, mod, "import os\nfor _ in range(100): os.write(1, b'x' * 10000); os.write(2, b'y' * 10000)",
					pyOpts{outputCap: 1000, ended: func(in *sandbox.Instance) { out, errOut = in.TakeOutput() }})
				if r.err != nil || len(out.Kept) != 1000 || !out.Truncated || len(errOut.Kept) != 1000 || !errOut.Truncated {
					t.Fatalf("err %v; kept %d (truncated %v) of stdout, %d (truncated %v) of stderr; want 1000 of each, truncated",
						r.err, len(out.Kept), out.Truncated, len(errOut.Kept), errOut.Truncated)
				}
			})
		})
	}
}

package pyexec_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/registry"
	"github.com/sandhost/sandhost/sandbox"
)

var ctx = context.Background()

func newPool(t testing.TB, opts pyexec.Options) *pyexec.Pool {
	t.Helper()
	p, err := pyexec.NewPool(ctx, opts)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func run(t *testing.T, p *pyexec.Pool, code string, opts ...pyexec.ExecOption) pyexec.Result {
	t.Helper()
	r, err := p.Execute(ctx, code, opts...)
	if err != nil {
		t.Fatalf("Execute(%q): %v", code, err)
	}
	return r
}

// healthy checks that the pool still gives every caller a clean, working
// interpreter.
func healthy(t *testing.T, p *pyexec.Pool, n int) {
	t.Helper()
	for i := range n {
		r := run(t, p, fmt.Sprintf("print(%d * 2)", i))
		if !r.Success || r.Stdout != fmt.Sprintf("%d\n", i*2) || r.Stderr != "" {
			t.Fatalf("pool unhealthy after adversarial input: %+v", r)
		}
	}
}

func TestTorchRLExecutorCases(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 2, Timeout: 5 * time.Second})
	r := run(t, p, "x = 10\ny = 20\nprint(f\"Result: {x + y}\")")
	if !r.Success || r.Stdout != "Result: 30\n" || r.ReturnCode != 0 || r.Stderr != "" {
		t.Fatalf("simple: %+v", r)
	}
	r = run(t, p, "raise ValueError('Test error')")
	if r.Success || r.ReturnCode != 1 || r.Failure != pyexec.FailException ||
		!strings.Contains(r.Stderr, "ValueError: Test error") || !strings.HasPrefix(r.Stderr, "Error: Test error\nTraceback:\n") {
		t.Fatalf("exception: %+v", r)
	}
	// Output without a trailing newline is kept.
	if r := run(t, p, "import sys; sys.stdout.write('no newline')"); r.Stdout != "no newline" {
		t.Fatalf("no trailing newline: %+v", r)
	}
}

// The standard streams behave as in native CPython: a closed one raises
// ValueError on write and the code fails with exit code 1 (the next call
// has working streams again); they have an encoding, a .buffer for bytes
// and reconfigure; stdout refuses what UTF-8 cannot encode; and they are
// the same objects from call to call.
func TestStandardStreamsBehaveLikeCPython(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	r := run(t, p, "import sys; sys.stdout.close(); print('x')")
	if r.Success || r.Failure != pyexec.FailException || r.ReturnCode != 1 || r.Stdout != "" ||
		!strings.Contains(r.Stderr, "ValueError: I/O operation on closed file") {
		t.Fatalf("print after sys.stdout.close(): %+v", r)
	}
	// With stderr closed, the traceback still reaches the result.
	r = run(t, p, "import sys; sys.stderr.close(); print('y', file=sys.stderr)")
	if r.Success || r.Failure != pyexec.FailException || r.ReturnCode != 1 || !strings.Contains(r.Stderr, "ValueError") {
		t.Fatalf("print after sys.stderr.close(): %+v", r)
	}
	healthy(t, p, 2)
	r = run(t, p, "import sys\nsys.stdout.reconfigure(line_buffering=True)\nprint(sys.stdout.encoding, sys.stdout.closed)\n"+
		"sys.stdout.flush(); sys.stdout.buffer.write('é\\n'.encode())")
	if !r.Success || r.Stdout != "utf-8 False\né\n" {
		t.Fatalf("encoding, reconfigure and .buffer: %+v", r)
	}
	if r := run(t, p, "print('\\udc80')"); r.Failure != pyexec.FailException || !strings.Contains(r.Stderr, "UnicodeEncodeError") {
		t.Fatalf("a lone surrogate printed: %+v", r)
	}
	// sys.stdout is one object across calls, as in a process: a handler
	// made in one call writes to the output of the next.
	run(t, p, "import logging, sys\nlog = logging.getLogger('t')\nlog.addHandler(logging.StreamHandler(sys.stdout))", pyexec.InSession("log"))
	if r := run(t, p, "log.warning('in the second call')", pyexec.InSession("log")); r.Stdout != "in the second call\n" {
		t.Fatalf("a handler from an earlier call: %+v", r)
	}
}

func TestConcurrentCallsGetTheirOwnOutput(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 4})
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			r, err := p.Execute(ctx, fmt.Sprintf("v = %d\nprint('call', v)", i))
			if err != nil || !r.Success || r.Stdout != fmt.Sprintf("call %d\n", i) {
				errs <- fmt.Sprintf("call %d: %+v %v", i, r, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestAdversarialInputs(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 2, Timeout: 2 * time.Second, MemoryLimit: 128 << 20, OutputCap: 64 << 10})
	cases := []struct {
		name    string
		code    string
		timeout time.Duration
		check   func(r pyexec.Result) bool
	}{
		{"infinite loop", "while True: pass", 300 * time.Millisecond,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailTimeout && r.ReturnCode == -1 }},
		{"loop inside C", "sum(range(10**12))", 300 * time.Millisecond,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailTimeout }},
		{"sleep past the deadline", "import time; time.sleep(30)", 300 * time.Millisecond,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailTimeout }},
		{"many short sleeps past the deadline", "import time\nfor _ in range(100): time.sleep(0.05)\nprint('done')", 300 * time.Millisecond,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailTimeout && r.Stdout == "" }},
		{"deep recursion", "def f(n): return f(n + 1)\nf(0)", 0,
			func(r pyexec.Result) bool { return !r.Success && strings.Contains(r.Stderr, "Recursion") }},
		{"memory bomb", "x = bytearray(512 * 1024 * 1024)", 0,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailMemory }},
		{"huge output", "print('x' * (100 * 1024 * 1024))", 0,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailOutputCap && len(r.Stdout) <= 64<<10 }},
		{"sys.exit", "import sys; print('bye'); sys.exit(3)", 0,
			func(r pyexec.Result) bool {
				return r.Failure == pyexec.FailExit && r.ReturnCode == 3 && r.Stdout == "bye\n"
			}},
		{"os._exit", "import os; os._exit(1)", 0,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailExit && r.ReturnCode == 1 }},
		// The engine stops a guest with exit codes of its own; a guest that
		// exits with one is not a timeout.
		{"os._exit with the engine's code", "import os; os._exit(-1)", 0,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailExit && r.ReturnCode == 255 }},
		{"sys.exit(-1)", "import sys; sys.exit(-1)", 0,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailExit && r.ReturnCode == 255 && !r.Passed }},
		{"sys.exit of an int whose & says 0", "import sys\nclass C(int):\n    __and__ = lambda s, o: 0\nsys.exit(C(1))", 0,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailExit && r.ReturnCode == 1 && !r.Passed }},
		{"SystemExit whose code raises", "class E(SystemExit):\n    @property\n    def code(self): raise ValueError\nraise E(3)", 0,
			func(r pyexec.Result) bool { return r.Failure == pyexec.FailExit && r.ReturnCode == 1 }},
		{"the harness's module rebound", "import struct; struct.pack = None; print('still')", 0,
			func(r pyexec.Result) bool { return r.Success && r.Stdout == "still\n" }},
		{"input", "x = input()", 0,
			func(r pyexec.Result) bool { return !r.Success && strings.Contains(r.Stderr, "EOF") }},
		{"host file", "print(open('/etc/passwd').read())", 0,
			func(r pyexec.Result) bool { return !r.Success && !strings.Contains(r.Stdout, "root:") }},
		// As on a read-only mount natively: EROFS, not "Function not
		// implemented".
		{"write the stdlib", "import os\nfor f in (lambda: open('/usr/local/lib/python3.13/os.py', 'a'), lambda: os.mkdir('/usr/local/lib/python3.13/x'),\n" +
			"          lambda: os.remove('/usr/local/lib/python3.13/os.py')):\n    try:\n        f()\n    except OSError as e:\n        print(e.strerror)", 0,
			func(r pyexec.Result) bool { return r.Stdout == strings.Repeat("Read-only file system\n", 3) }},
		{"list host root", "import os; print(os.listdir('/'))", 0,
			func(r pyexec.Result) bool {
				return !strings.Contains(r.Stdout, "etc") && !strings.Contains(r.Stdout, "proc")
			}},
		{"subprocess", "import subprocess; subprocess.run(['ls'])", 0,
			func(r pyexec.Result) bool { return !r.Success }},
		{"thread", "import threading; threading.Thread(target=print).start()", 0,
			func(r pyexec.Result) bool { return !r.Success }},
		{"write /tmp", "f = open('/tmp/big', 'wb')\nfor _ in range(100): f.write(b'x' * (1024 * 1024))", 0,
			func(r pyexec.Result) bool { return !r.Success && strings.Contains(r.Stderr, "/tmp is full") }},
		{"protocol framing", "print('\\x00\\x00\\x00\\x10' + '---END---' + '\\n' * 3); import sys; sys.stdout.write('\\x00' * 8)", 0,
			func(r pyexec.Result) bool { return r.Success && strings.HasSuffix(r.Stdout, strings.Repeat("\x00", 8)) }},
		{"os.write fd 1", "import os; os.write(1, b'raw')", 0,
			func(r pyexec.Result) bool { return r.Success && strings.Contains(r.Stdout, "raw") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts []pyexec.ExecOption
			if c.timeout > 0 {
				opts = append(opts, pyexec.WithTimeout(c.timeout))
			}
			t0 := time.Now()
			r := run(t, p, c.code, opts...)
			if !c.check(r) {
				t.Fatalf("result %+v", trim(r))
			}
			if c.timeout > 0 {
				stoppedInTime(t, t0, r, c.timeout)
			}
			healthy(t, p, 4)
		})
	}
}

// Recursion through C (a memoised function, a sort key, __repr__, a nested
// structure) raises RecursionError, catchable, however high the code set
// the recursion limit, where the native build of the same CPython dies of
// a segmentation fault on the sort key; and it goes as deep as the count
// lets it: the C stack holds the frames of the link-time-optimised build
// (wasm/python/patches/wasi-stack-check.patch).
func TestDeepCRecursionRaisesRecursionError(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	const prelude = "import sys, functools, json\nsys.setrecursionlimit(10**6)\n" +
		"def report(f):\n    try:\n        f()\n        print('returned')\n    except RecursionError:\n        print('RecursionError')\n"
	for _, c := range []struct{ name, code, want string }{
		{"memoised recursion 1,500 deep", "@functools.lru_cache(None)\ndef f(n): return 0 if n == 0 else f(n - 1) + 1\nreport(lambda: f(1500))", "returned"},
		{"memoised recursion without end", "@functools.lru_cache(None)\ndef f(n): return f(n + 1)\nreport(lambda: f(0))", "RecursionError"},
		{"a sort key that sorts", "def key(x): return sorted([x], key=key)\nreport(lambda: key(1))", "RecursionError"},
		{"__repr__", "class R:\n    def __repr__(self): return repr(self)\nreport(lambda: repr(R()))", "RecursionError"},
		{"a nested list to JSON", "x = []\nfor _ in range(100000): x = [x]\nreport(lambda: json.dumps(x))", "RecursionError"},
	} {
		r := run(t, p, prelude+c.code)
		if !r.Success || r.Stdout != c.want+"\n" {
			t.Errorf("%s: want %s, got %+v", c.name, c.want, trim(r))
		}
	}
	healthy(t, p, 2)
}

// The output cap holds whatever the code does to the streams the harness
// gives it, and for what it writes to fd 1 and 2 itself: each stream of the
// result is at most the cap, and more is reported as cut.
func TestOutputCapHoldsAgainstTheCode(t *testing.T) {
	const capBytes = 1000
	p := newPool(t, pyexec.Options{Size: 1, OutputCap: capBytes})
	cases := []struct{ name, code string }{
		{"cap lifted", "import sys\nsys.stdout.buffer.cap = sys.stderr.buffer.cap = 1 << 30\n" +
			"print('x' * 5000)\nprint('y' * 5000, file=sys.stderr)"},
		{"count reset", "import sys\nfor _ in range(5):\n    sys.stdout.buffer.n = sys.stderr.buffer.n = 0\n" +
			"    print('x' * 900)\n    print('y' * 900, file=sys.stderr)"},
		{"harness changed", "import __sandhost__\n__sandhost__._Sink._keep = lambda self, b: self.parts.append(bytes(b)) or len(b)\n" +
			"import sys\nprint('x' * 5000)\nprint('y' * 5000, file=sys.stderr)"},
		{"stream and fd", "import os, sys\nprint('x' * 900)\nos.write(1, b'b' * 900)\n" +
			"print('y' * 900, file=sys.stderr)\nos.write(2, b'e' * 900)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, p, c.code, pyexec.Fresh()) // a changed harness stays with its interpreter
			const notice = "[output truncated: more than 1000 bytes per stream]\n"
			if r.Failure != pyexec.FailOutputCap || r.Success || len(r.Stdout) != capBytes ||
				!strings.HasSuffix(r.Stderr, notice) || len(r.Stderr) != capBytes+len(notice) {
				t.Fatalf("stdout %d bytes, stderr %d, failure %q, stderr ends %q",
					len(r.Stdout), len(r.Stderr), r.Failure, r.Stderr[max(len(r.Stderr)-80, 0):])
			}
		})
	}
	// Within the cap, both reach the result whole.
	r := run(t, p, "import os\nprint('x' * 400)\nos.write(1, b'b' * 400)")
	if !r.Success || r.Stdout != strings.Repeat("x", 400)+"\n"+strings.Repeat("b", 400) {
		t.Fatalf("under the cap: %+v", trim(r))
	}
}

// stopMargin is how late after its deadline a stopped call may return in
// a test: 500 ms. The promise is 100 ms, and the stop itself takes 0.3-4 ms
// (median 1.5-3.7 ms, worst 24 ms on a loaded 2-core machine; under -race a
// median of 4-7 ms, up to 138 ms), but at load averages of 8-19 from other
// builds the caller's own goroutine waited past 100 ms for a core (the
// promise is measured by bench/scoring, on a machine doing nothing else);
// what this catches is a call held for seconds. Closing the stopped
// interpreter is not part of it: that happens after the call has returned.
func stopMargin() time.Duration { return 500 * time.Millisecond }

// stoppedInTime checks that a call started at t0 returned within
// stopMargin of its deadline. The timeout covers running, not the wait for
// an interpreter (a replacement being made after the previous call, which
// under -race on a loaded machine took most of a second): the wait the
// result reports is not counted, and the rest is wall time, not the
// pool's own Duration.
func stoppedInTime(t *testing.T, t0 time.Time, r pyexec.Result, timeout time.Duration) {
	t.Helper()
	elapsed := time.Since(t0) - r.Queued
	if over := elapsed - timeout; over > stopMargin() {
		t.Errorf("returned %v after its deadline of %v (%v queued before it), want under %v", over, timeout, r.Queued, stopMargin())
	}
}

func trim(r pyexec.Result) pyexec.Result {
	if len(r.Stdout) > 300 {
		r.Stdout = r.Stdout[:300] + "..."
	}
	if len(r.Stderr) > 600 {
		r.Stderr = r.Stderr[:600] + "..."
	}
	return r
}

func TestStateModels(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	// Shared: state persists in the pool's interpreter (TorchRL's service mode).
	run(t, p, "shared_var = 1", pyexec.Shared())
	if r := run(t, p, "print(shared_var)", pyexec.Shared()); r.Stdout != "1\n" {
		t.Fatalf("shared: %+v", r)
	}
	// Isolated (the default): the shared state is not there.
	if r := run(t, p, "print(shared_var)"); r.Passed || !strings.Contains(r.Stderr, "NameError") {
		t.Fatalf("isolated sees shared state: %+v", r)
	}
	// Session: its own state, across calls; reset clears it.
	run(t, p, "a = 1", pyexec.InSession("env-0"))
	if r := run(t, p, "a += 1\nassert a == 2\nprint(a)", pyexec.InSession("env-0")); !r.Success || r.Stdout != "2\n" {
		t.Fatalf("session: %+v", r)
	}
	if r := run(t, p, "print(a)", pyexec.InSession("env-1")); r.Success {
		t.Fatalf("env-1 sees env-0's state: %+v", r)
	}
	if r := run(t, p, "print(shared_var)", pyexec.InSession("env-0")); r.Success {
		t.Fatalf("session sees shared state: %+v", r)
	}
	p.ResetSession("env-0")
	if r := run(t, p, "print(a)", pyexec.InSession("env-0")); r.Success || !strings.Contains(r.Stderr, "NameError") {
		t.Fatalf("after reset: %+v", r)
	}
	// Fresh: nothing from before.
	if r := run(t, p, "print(shared_var)", pyexec.Fresh()); r.Success {
		t.Fatalf("fresh sees shared state: %+v", r)
	}
	if r := run(t, p, "import sqlite3, decimal, hashlib, zlib, bz2, lzma, json\nprint(sqlite3.connect(':memory:').execute('select 40+2').fetchone()[0], hashlib.sha256(b'').hexdigest()[:8])", pyexec.Fresh()); !r.Success || r.Stdout != "42 e3b0c442\n" {
		t.Fatalf("fresh stdlib: %+v", r)
	}
}

func TestFreshInterpretersAreReseeded(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	a := run(t, p, "import random; print(random.random())", pyexec.Fresh())
	b := run(t, p, "import random; print(random.random())", pyexec.Fresh())
	if a.Stdout == b.Stdout {
		t.Fatalf("two fresh interpreters drew the same random number %s", a.Stdout)
	}
}

func TestScratchTmpAndFiles(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, ScratchSize: 1 << 20})
	// Files in, computed on, and out.
	r := run(t, p, "data = open('/tmp/in/data.txt').read()\nopen('/tmp/out.txt', 'w').write(data.upper())\nprint(len(data))",
		pyexec.WithFiles(map[string][]byte{"in/data.txt": []byte("hello")}), pyexec.WithOutputFiles("out.txt", "missing.txt"))
	if !r.Success || r.Stdout != "5\n" || string(r.Files["out.txt"]) != "HELLO" || len(r.Files) != 1 {
		t.Fatalf("files: %+v", r)
	}
	// An output file that could never be returned is refused before the
	// code runs.
	r = run(t, p, "print('ran')", pyexec.WithOutputFiles("out.txt", "../etc/passwd"))
	if r.Passed || r.Stdout != "" || !strings.Contains(r.Stderr, `output file: sandbox: file name is not inside /tmp: "../etc/passwd"`) {
		t.Fatalf("an output file outside /tmp: %+v", r)
	}
	// The cap holds: a 2 MiB write into a 1 MiB /tmp fails cleanly.
	r = run(t, p, "open('/tmp/big', 'wb').write(b'x' * (2 * 1024 * 1024))")
	if r.Success || !strings.Contains(r.Stderr, "/tmp is full") {
		t.Fatalf("over the cap: %+v", trim(r))
	}
	// Deleting frees room again.
	r = run(t, p, "import os\nfor f in os.listdir('/tmp'):\n    p = '/tmp/' + f\n    os.remove(p) if os.path.isfile(p) else None\nopen('/tmp/ok', 'wb').write(b'x' * (900 * 1024))\nprint('ok')")
	if !r.Success {
		t.Fatalf("after cleanup: %+v", trim(r))
	}
	// Links that could point outside are refused.
	r = run(t, p, "import os; os.symlink('/etc/passwd', '/tmp/link')")
	if r.Success {
		t.Fatalf("symlink allowed: %+v", r)
	}
	// A fresh interpreter has its own, empty /tmp.
	if r := run(t, p, "import os; print(os.listdir('/tmp'))", pyexec.Fresh()); r.Stdout != "[]\n" {
		t.Fatalf("fresh /tmp: %+v", r)
	}
	// Bad input file names are refused.
	if r := run(t, p, "pass", pyexec.WithFiles(map[string][]byte{"../x": nil})); r.Success {
		t.Fatalf("escaping input file accepted: %+v", r)
	}
}

func TestReadOnlyMount(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.csv"), []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newPool(t, pyexec.Options{Size: 1, Mounts: []sandbox.Mount{{HostDir: dir, GuestPath: "/data"}}})
	if r := run(t, p, "print(open('/data/data.csv').read().splitlines()[1])"); r.Stdout != "1,2\n" {
		t.Fatalf("read mount: %+v", r)
	}
	if r := run(t, p, "open('/data/new', 'w').write('x')"); r.Success {
		t.Fatalf("wrote into a read-only mount: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
		t.Fatal("file appeared on the host")
	}
	// Fresh and session interpreters see the same mounts.
	if r := run(t, p, "print(len(open('/data/data.csv').read()))", pyexec.Fresh()); r.Stdout != "8\n" {
		t.Fatalf("fresh mount: %+v", r)
	}
}

// A stopped guest leaves nothing running: no goroutine and no CPU burning
// once the pool has replaced its interpreters.
func TestTimeoutLeavesNothingRunning(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 2})
	healthy(t, p, 2)
	before := runtime.NumGoroutine()
	for _, code := range []string{"while True: pass", "sum(range(10**12))", "import re; re.match('(a+)+$', 'a' * 64 + 'b')"} {
		if r := run(t, p, code, pyexec.WithTimeout(200*time.Millisecond)); r.Failure != pyexec.FailTimeout {
			t.Fatalf("%s: %+v", code, r)
		}
	}
	healthy(t, p, 4) // both interpreters replaced and serving
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // goroutines of finished calls exiting
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Fatalf("%d goroutines after the timeouts, %d before", n, before)
	}
	time.Sleep(300 * time.Millisecond) // an idle window in which to measure CPU use
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) - syscall.TimevalToNsec(ru0.Utime))
	if cpu > 250*time.Millisecond {
		t.Fatalf("the process burnt %v of CPU in a 300ms idle window after the timeouts", cpu)
	}
}

func TestSessionsAreBounded(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, MaxSessions: 2})
	for _, s := range []string{"a", "b", "c"} {
		run(t, p, "v = '"+s+"'", pyexec.InSession(s))
	}
	if n := p.Sessions(); n != 2 {
		t.Fatalf("%d live sessions, want 2", n)
	}
	// "a" was the least recently used: evicted, its state gone.
	if r := run(t, p, "print(v)", pyexec.InSession("a")); r.Success {
		t.Fatalf("evicted session kept its state: %+v", r)
	}
	if r := run(t, p, "print(v)", pyexec.InSession("c")); r.Stdout != "c\n" {
		t.Fatalf("recent session lost its state: %+v", r)
	}
}

func TestQueuedCallersGiveUpAtTheirDeadline(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	busy := make(chan pyexec.Result)
	go func() {
		r, _ := p.Execute(ctx, "import time; time.sleep(1)")
		busy <- r
	}()
	// Wait until the only interpreter is taken, then queue behind it.
	for {
		r := run(t, p, "pass", pyexec.WithTimeout(50*time.Millisecond), pyexec.TimeoutCoversQueue())
		if r.Failure == pyexec.FailQueued {
			if r.ReturnCode != -1 || !strings.Contains(r.Stderr, "No interpreter became free") {
				t.Fatalf("queued result: %+v", r)
			}
			break
		}
	}
	if r := <-busy; !r.Success {
		t.Fatalf("the long call: %+v", r)
	}
	p.Close()
	if _, err := p.Execute(ctx, "pass"); !errors.Is(err, pyexec.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestPerCallMemoryLimit(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, MemoryLimit: 256 << 20})
	r := run(t, p, "x = bytearray(100 * 1024 * 1024)", pyexec.WithMemoryLimit(64<<20))
	if r.Failure != pyexec.FailMemory || !strings.Contains(r.Stderr, "memory limit of this call: 64 MiB") {
		t.Fatalf("over the call's limit: %+v", r)
	}
	// The pool's own limit applies again to the next call.
	if r := run(t, p, "x = bytearray(100 * 1024 * 1024); print(len(x) >> 20)"); !r.Success || r.Stdout != "100\n" {
		t.Fatalf("without a call limit: %+v", trim(r))
	}
	// A limit above the pool's is the pool's, and the message says so.
	if r := run(t, p, "x = bytearray(300 * 1024 * 1024)", pyexec.WithMemoryLimit(1<<40)); r.Failure != pyexec.FailMemory ||
		!strings.Contains(r.Stderr, "memory limit of this call: 256 MiB") {
		t.Fatalf("a limit above the pool's: %+v", trim(r))
	}
	if r := run(t, p, "print(1)", pyexec.WithMemoryLimit(64<<20)); !r.Success {
		t.Fatalf("small call under a limit: %+v", r)
	}
}

// A call's memory limit holds in an interpreter an earlier call grew past
// it (memory never shrinks): in the pooled models the call runs in a clean
// interpreter, and a session, whose state cannot move, is refused with
// failure "memory" and kept.
func TestPerCallMemoryLimitAfterGrowth(t *testing.T) {
	const grow = "x = bytearray(150 * 1024 * 1024); del x"
	const big = "y = bytearray(120 * 1024 * 1024); print(len(y) >> 20)"
	for _, m := range []struct {
		name string
		opts []pyexec.ExecOption
	}{
		{"isolated", nil},
		{"shared", []pyexec.ExecOption{pyexec.Shared()}},
		{"fresh", []pyexec.ExecOption{pyexec.Fresh()}},
	} {
		t.Run(m.name, func(t *testing.T) {
			// Size 1 and no yielding: the second call gets the interpreter
			// the first grew (one that stepped aside would be replaced).
			p := newPool(t, pyexec.Options{Size: 1, MemoryLimit: 256 << 20, YieldAfter: -1})
			if r := run(t, p, grow, m.opts...); !r.Success {
				t.Fatalf("growing: %+v", trim(r))
			}
			r := run(t, p, big, append(m.opts, pyexec.WithMemoryLimit(32<<20))...)
			if r.Failure != pyexec.FailMemory || !strings.Contains(r.Stderr, "memory limit of this call: 32 MiB") {
				t.Fatalf("120 MiB under a limit of 32 MiB: %+v", trim(r))
			}
			if r := run(t, p, big, m.opts...); !r.Success || r.Stdout != "120\n" {
				t.Fatalf("without a limit after: %+v", trim(r))
			}
			healthy(t, p, 2)
		})
	}
	t.Run("session", func(t *testing.T) {
		p := newPool(t, pyexec.Options{Size: 1, MemoryLimit: 256 << 20})
		s := pyexec.InSession("s")
		if r := run(t, p, "keep = 1\n"+grow, s); !r.Success {
			t.Fatalf("growing: %+v", trim(r))
		}
		r := run(t, p, "keep = 2\n"+big, s, pyexec.WithMemoryLimit(32<<20))
		if r.Failure != pyexec.FailMemory || r.Stdout != "" || !strings.Contains(r.Stderr, "memory limit of 32 MiB") {
			t.Fatalf("120 MiB under a limit of 32 MiB: %+v", trim(r))
		}
		if r := run(t, p, "print(keep)", s); !r.Success || r.Stdout != "1\n" {
			t.Fatalf("the session after its refused call: %+v", trim(r))
		}
		// A session that has not grown runs under the limit as any call.
		r = run(t, p, big, pyexec.InSession("t"), pyexec.WithMemoryLimit(32<<20))
		if r.Failure != pyexec.FailMemory || !strings.Contains(r.Stderr, "memory limit of this call: 32 MiB") {
			t.Fatalf("a new session under a limit of 32 MiB: %+v", trim(r))
		}
	})
}

func TestAsyncio(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	code := "import asyncio\nasync def sq(i):\n    await asyncio.sleep(0.01)\n    return i * i\nasync def main():\n    return await asyncio.gather(*(sq(i) for i in range(5)))\nprint(asyncio.run(main()))"
	for _, opts := range [][]pyexec.ExecOption{nil, {pyexec.Fresh()}} {
		if r := run(t, p, code, opts...); !r.Success || r.Stdout != "[0, 1, 4, 9, 16]\n" {
			t.Fatalf("asyncio: %+v", trim(r))
		}
	}
	// A coroutine sleeping past the deadline is stopped at the deadline.
	const timeout = 200 * time.Millisecond
	t0 := time.Now()
	r := run(t, p, "import asyncio\nasyncio.run(asyncio.sleep(30))", pyexec.WithTimeout(timeout))
	if r.Failure != pyexec.FailTimeout {
		t.Fatalf("asyncio sleep past the deadline: %+v", r)
	}
	stoppedInTime(t, t0, r, timeout)
}

// The guest has no network: a connection to a port that listens on the
// host's loopback fails, and nothing reaches the listener.
func TestNoNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := newPool(t, pyexec.Options{Size: 1})
	port := ln.Addr().(*net.TCPAddr).Port
	for _, code := range []string{
		fmt.Sprintf("import socket; socket.create_connection(('127.0.0.1', %d), timeout=1)", port),
		fmt.Sprintf("import urllib.request; urllib.request.urlopen('http://127.0.0.1:%d/', timeout=1)", port),
	} {
		if r := run(t, p, code); r.Success || r.Failure != pyexec.FailException {
			t.Fatalf("%s: %+v", code, trim(r))
		}
	}
	// A connection made would be waiting in the backlog by now.
	ln.(*net.TCPListener).SetDeadline(time.Now())
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Fatal("the guest connected to the host's loopback")
	}
}

// Sessions idle for longer than SessionIdle are closed, and their state
// goes with them.
func TestIdleSessionsExpire(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, SessionIdle: 50 * time.Millisecond})
	run(t, p, "v = 1", pyexec.InSession("idle"))
	pyexec.WaitFor(t, "the idle session to be closed", func() bool { return p.Sessions() == 0 })
	if r := run(t, p, "print(v)", pyexec.InSession("idle")); r.Success || !strings.Contains(r.Stderr, "NameError") {
		t.Fatalf("expired session kept its state: %+v", r)
	}
}

// Output files larger than FileCap are not returned.
func TestFileCap(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, FileCap: 1000})
	r := run(t, p, "open('/tmp/fits', 'wb').write(b'x' * 1000)\nopen('/tmp/over', 'wb').write(b'x' * 1001)",
		pyexec.WithOutputFiles("fits", "over"))
	if _, over := r.Files["over"]; !r.Passed || len(r.Files["fits"]) != 1000 || over {
		t.Fatalf("files of 1000 and 1001 bytes under a cap of 1000: got %d files, fits %d bytes, over returned %v (%+v)",
			len(r.Files), len(r.Files["fits"]), over, trim(r))
	}
	// The file left out is named, with its size: not taken for one the
	// code never wrote.
	if r.Success || !strings.Contains(r.Stderr, "/tmp/over has 1001 bytes, the limit is 1000") {
		t.Fatalf("the file over the cap was dropped without a word: %+v", trim(r))
	}
}

// Input files that would not fit /tmp are refused before the code runs.
func TestInputFilesOverTheScratchCap(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, ScratchSize: 1 << 20})
	half := make([]byte, 600<<10)
	r := run(t, p, "print('ran')", pyexec.WithFiles(map[string][]byte{"a": half, "b": half}))
	if r.Success || r.Stdout != "" || !strings.Contains(r.Stderr, "exceed /tmp's cap") {
		t.Fatalf("1.2 MiB of input files into a 1 MiB /tmp: %+v", r)
	}
	if r := run(t, p, "import os; print(os.path.getsize('/tmp/a'))", pyexec.WithFiles(map[string][]byte{"a": half})); r.Stdout != "614400\n" {
		t.Fatalf("input file within the cap: %+v", r)
	}
}

// snapshotFiles counts this process's open snapshot memfds.
func snapshotFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd to count open files in")
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.Contains(target, "sandhost-snapshot") {
			n++
		}
	}
	return n
}

// Close frees what the pool made, its snapshot's in-memory file included,
// rather than leaving it to a finalizer.
func TestCloseClosesTheSnapshot(t *testing.T) {
	before := snapshotFiles(t)
	p, err := pyexec.NewPool(ctx, pyexec.Options{Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n := snapshotFiles(t); n != before+1 {
		p.Close()
		t.Fatalf("%d snapshot files open with the pool, %d before", n, before)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := snapshotFiles(t); n != before {
		t.Fatalf("%d snapshot files open after Close, %d before", n, before)
	}
}

// With several shared interpreters, calls one after the other still see
// each other's state: an idle shared interpreter is taken before another
// is made.
func TestSharedStateWithSeveralInterpreters(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 3})
	run(t, p, "a = 1", pyexec.Shared())
	for i := range 3 {
		if r := run(t, p, "a += 1\nprint(a)", pyexec.Shared()); r.Stdout != fmt.Sprintf("%d\n", i+2) {
			t.Fatalf("call %d after a = 1: %+v", i+2, r)
		}
	}
}

// A call's input files go in all together or not at all: after a call
// whose files were refused, the next call sees none of them.
func TestRefusedInputFilesLeaveNothing(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, ScratchSize: 1 << 20})
	files := map[string][]byte{"../x": nil}
	for i := range 20 {
		files[fmt.Sprintf("f%d", i)] = []byte("x")
	}
	// Isolated: a bad name among good ones.
	if r := run(t, p, "print('ran')", pyexec.WithFiles(files)); r.Success || r.Stdout != "" ||
		!strings.Contains(r.Stderr, "not inside /tmp") {
		t.Fatalf("a bad file name: %+v", r)
	}
	if r := run(t, p, "import os; print(os.listdir('/tmp'))"); r.Stdout != "[]\n" {
		t.Fatalf("the call after refused input files: %+v", r)
	}
	// Shared: files that fit the cap but not the room left in /tmp.
	if r := run(t, p, "open('/tmp/big', 'wb').write(b'x' * (600 << 10))", pyexec.Shared()); !r.Success {
		t.Fatalf("filling /tmp: %+v", r)
	}
	third := make([]byte, 300<<10)
	if r := run(t, p, "print('ran')", pyexec.Shared(), pyexec.WithFiles(map[string][]byte{"a": third, "b": third})); r.Success || r.Stdout != "" {
		t.Fatalf("input files past the room left in /tmp: %+v", trim(r))
	}
	if r := run(t, p, "import os; print(sorted(f for f in os.listdir('/tmp') if f in ('a', 'b')))", pyexec.Shared()); r.Stdout != "[]\n" {
		t.Fatalf("the shared call after refused input files: %+v", r)
	}
}

// foreignCtx is a context the context package does not know: each context
// made from it watches it with a goroutine of its own, which ends only when
// the derived context is cancelled (or foreignCtx ends).
type foreignCtx struct {
	context.Context
	done chan struct{}
}

func (c foreignCtx) Done() <-chan struct{} { return c.done }

func (c foreignCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// A call leaves no context behind: every context it derives from the
// caller's is cancelled when it returns, TimeoutCoversQueue or not.
func TestCallsLeaveNoContextBehind(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	parent := foreignCtx{ctx, make(chan struct{})}
	defer close(parent.done)
	run(t, p, "pass") // the pool's own goroutines started
	before := runtime.NumGoroutine()
	const n = 40
	for range n {
		for _, opts := range [][]pyexec.ExecOption{nil, {pyexec.TimeoutCoversQueue()}} {
			if r, err := p.Execute(parent, "pass", opts...); err != nil || !r.Passed {
				t.Fatalf("pass: %+v %v", r, err)
			}
		}
	}
	pyexec.WaitFor(t, "the calls' context goroutines to end", func() bool { return runtime.NumGoroutine() < before+n/2 })
}

// Resetting a session passes (Passed is what callers check; see Result).
func TestSessionResetPasses(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	run(t, p, "a = 1", pyexec.InSession("s"))
	if r, err := p.Run(ctx, pyexec.Request{Session: "s", Reset: true}); err != nil || !r.Success || !r.Passed {
		t.Fatalf("reset: %+v %v", r, err)
	}
}

// A call its caller stopped says so, not that it timed out after its own
// timeout; one whose caller gave up before it ran says that too.
func TestCallerEndedIsNotATimeout(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	r, err := p.Execute(short, "while True: pass", pyexec.WithTimeout(time.Minute))
	if err != nil || r.Failure != pyexec.FailTimeout || !strings.Contains(r.Stderr, "the caller's context ended (context deadline exceeded)") {
		t.Fatalf("stopped by its caller's deadline: %+v %v", trim(r), err)
	}
	gone, cancelNow := context.WithCancel(ctx)
	cancelNow()
	r, err = p.Execute(gone, "print(1)")
	if err != nil || r.Failure != pyexec.FailQueued || !strings.Contains(r.Stderr, "The caller's context ended (context canceled)") {
		t.Fatalf("a caller that had given up: %+v %v", trim(r), err)
	}
	if r := run(t, p, "while True: pass", pyexec.WithTimeout(200*time.Millisecond)); !strings.Contains(r.Stderr, "timed out after 200ms") {
		t.Fatalf("its own timeout: %+v", trim(r))
	}
}

// A memory limit no interpreter can start under is refused as invalid,
// saying the least the build needs, rather than as a failed compile that
// speaks of pages and wasm sections.
func TestNewPoolRefusesAMemoryLimitBelowTheModules(t *testing.T) {
	art, err := pyexec.FindArtefacts("")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(art.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	least, err := sandbox.MinMemory(wasm)
	if err != nil || least < 2<<20 {
		t.Fatalf("python.wasm's initial memory: %d, %v", least, err)
	}
	want := fmt.Sprintf("%.1f MiB an interpreter needs at least", float64(least)/(1<<20))
	if least%(1<<20) == 0 {
		want = fmt.Sprintf("%d MiB an interpreter needs at least", least>>20)
	}
	_, err = pyexec.NewPool(ctx, pyexec.Options{Size: 1, MemoryLimit: least - 1<<20})
	if !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Fatalf("NewPool with a limit 1 MiB below python.wasm's initial memory: %v; want ErrInvalid saying the least", err)
	}
}

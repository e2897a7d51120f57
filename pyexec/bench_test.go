package pyexec_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"syscall"

	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/sandbox"
)

const (
	tinyCode = "x = 1 + 1"
	cpuCode  = "sum(i*i for i in range(10**6))"
)

// nativeLoop is the fast native baseline: a persistent python3 process
// with a length-prefixed exec loop (no polling), output captured like ours.
const nativeLoop = `
import sys, io, struct
inp, out = sys.stdin.buffer, sys.stdout.buffer
g = {"__name__": "__main__"}
while True:
    h = inp.read(4)
    if len(h) < 4: break
    code = inp.read(struct.unpack("<I", h)[0]).decode()
    buf = io.StringIO(); so = sys.stdout; sys.stdout = buf
    try: exec(compile(code, "<code>", "exec"), g)
    except BaseException as e: buf.write(repr(e))
    finally: sys.stdout = so
    r = buf.getvalue().encode()
    out.write(struct.pack("<I", len(r)) + r); out.flush()
`

type nativePython struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// realPython is the python3 executable itself, not a wrapper script (pyenv
// shims cost tens of milliseconds per start).
func realPython(b *testing.B) string {
	py, err := exec.LookPath("python3")
	if err != nil {
		b.Skip("no python3 for the native baseline")
	}
	out, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		b.Skip("python3 does not run")
	}
	return strings.TrimSpace(string(out))
}

func startNative(b *testing.B, src string) *nativePython {
	cmd := exec.Command(realPython(b), "-u", "-c", src)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	return &nativePython{cmd: cmd, in: in, out: bufio.NewReader(out)}
}

func (n *nativePython) exec(code string) error {
	var h [4]byte
	binary.LittleEndian.PutUint32(h[:], uint32(len(code)))
	if _, err := n.in.Write(append(h[:], code...)); err != nil {
		return err
	}
	if _, err := io.ReadFull(n.out, h[:]); err != nil {
		return err
	}
	_, err := n.out.Discard(int(binary.LittleEndian.Uint32(h[:])))
	return err
}

// torchrlLoop is TorchRL's protocol: code and an end marker on stdin, output
// and a completion marker on stdout, read by a parent polling every 10 ms.
const torchrlLoop = `
import sys, io
g = {}
while True:
    lines = []
    for line in sys.stdin:
        if line.rstrip("\n") == "---END---": break
        lines.append(line)
    else:
        break
    buf = io.StringIO(); so = sys.stdout; sys.stdout = buf
    try: exec("".join(lines), g)
    except Exception as e: print(e, file=sys.stderr)
    finally: sys.stdout = so
    print(buf.getvalue(), end="")
    print("---EXECUTION_COMPLETE---", flush=True)
`

type torchrlPython struct {
	*nativePython
	mu    sync.Mutex
	lines []string
}

func startTorchRL(b *testing.B) *torchrlPython {
	t := &torchrlPython{nativePython: startNative(b, torchrlLoop)}
	go func() {
		for {
			l, err := t.out.ReadString('\n')
			if err != nil {
				return
			}
			t.mu.Lock()
			t.lines = append(t.lines, l)
			t.mu.Unlock()
		}
	}()
	return t
}

func (t *torchrlPython) exec(code string) error {
	if _, err := io.WriteString(t.in, code+"\n---END---\n"); err != nil {
		return err
	}
	for {
		t.mu.Lock()
		done := len(t.lines) > 0 && t.lines[len(t.lines)-1] == "---EXECUTION_COMPLETE---\n"
		if done {
			t.lines = t.lines[:0]
		}
		t.mu.Unlock()
		if done {
			return nil
		}
		time.Sleep(10 * time.Millisecond) // TorchRL's polling interval, the thing measured
	}
}

// BenchmarkExecute compares a call through the pool with the native
// baselines, in one run: a tiny snippet (round-trip cost) and CPU-bound code.
func BenchmarkExecute(b *testing.B) {
	for _, c := range []struct{ name, code string }{{"tiny", tinyCode}, {"cpu", cpuCode}} {
		for _, eng := range sandbox.Engines() {
			b.Run(c.name+"/"+eng, func(b *testing.B) {
				p := newPool(b, pyexec.Options{Size: 1, Engine: eng, Timeout: time.Minute})
				for b.Loop() {
					r, err := p.Execute(ctx, c.code)
					if err != nil || !r.Success {
						b.Fatal(r, err)
					}
				}
			})
		}
		b.Run(c.name+"/native-persistent", func(b *testing.B) {
			n := startNative(b, nativeLoop)
			for b.Loop() {
				if err := n.exec(c.code); err != nil {
					b.Fatal(err)
				}
			}
		})
		if c.name == "tiny" {
			b.Run(c.name+"/torchrl-poll", func(b *testing.B) {
				t := startTorchRL(b)
				for b.Loop() {
					if err := t.exec(c.code); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFresh is a call in a clean interpreter made from the snapshot,
// against a cold CPython start-up in the sandbox and a native python3.
func BenchmarkFresh(b *testing.B) {
	for _, eng := range sandbox.Engines() {
		b.Run("snapshot/"+eng, func(b *testing.B) {
			p := newPool(b, pyexec.Options{Size: 1, Engine: eng})
			for b.Loop() {
				if r, err := p.Execute(ctx, tinyCode, pyexec.Fresh()); err != nil || !r.Success {
					b.Fatal(r, err)
				}
			}
		})
	}
	b.Run("native-python3-S-c", func(b *testing.B) {
		py := realPython(b)
		for b.Loop() {
			if err := exec.Command(py, "-S", "-c", tinyCode).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPoolStart is the time for a pool of 32 to be ready (warm
// compilation cache), and the private memory each idle interpreter costs:
// Pss of a pool of 33 less that of a pool of 1, over 32, so that what every
// pool has once (its runtime and compiled code, the snapshot) is left out.
func BenchmarkPoolStart(b *testing.B) {
	for _, eng := range sandbox.Engines() {
		b.Run("32/"+eng, func(b *testing.B) {
			perInterp := float64(pssOfPool(b, 33, eng)-pssOfPool(b, 1, eng)) / 32
			for b.Loop() {
				p, err := pyexec.NewPool(ctx, pyexec.Options{Size: 32, Engine: eng})
				if err != nil {
					b.Fatal(err)
				}
				p.Close()
			}
			b.ReportMetric(perInterp, "KiB-per-idle-interp") // after the loop, which resets metrics
		})
	}
}

// pssOfPool is the process's Pss in KiB with a pool of size interpreters
// open (its spare, made in the background, may be there or not: one
// interpreter in 32 of noise).
func pssOfPool(b *testing.B, size int, eng string) int64 {
	p, err := pyexec.NewPool(ctx, pyexec.Options{Size: size, Engine: eng})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	runtime.GC()
	debug.FreeOSMemory()
	return pssKB()
}

// pssKB is this process's proportional set size.
func pssKB() int64 {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		if f := strings.Fields(string(l)); len(f) >= 2 && f[0] == "Pss:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// scoreCode is a graded answer as an RL scorer runs it: an import, a
// function, and the asserts that grade it.
const scoreCode = "import math\n" +
	"def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))\n" +
	"assert is_prime(97) and not is_prime(91)\nassert [n for n in range(20) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19]\n"

// BenchmarkStateModels is one call in each state model, one caller at a
// time: shared (TorchRL's persistent __main__), isolated (the default: a
// new __main__, the interpreter checked after the call) and fresh (a clean
// interpreter per call); "leaky" is an isolated call whose import is not in
// the baseline, so its interpreter is replaced in the background;
// "no-yield" is isolated/tiny without the thread pinning and CPU-time watch
// of YieldAfter, their cost beside it.
func BenchmarkStateModels(b *testing.B) {
	for _, c := range []struct {
		name, code string
		opts       []pyexec.ExecOption
		yield      time.Duration
	}{
		{"shared/tiny", tinyCode, []pyexec.ExecOption{pyexec.Shared()}, 0},
		{"isolated/tiny", tinyCode, nil, 0},
		{"fresh/tiny", tinyCode, []pyexec.ExecOption{pyexec.Fresh()}, 0},
		{"shared/score", scoreCode, []pyexec.ExecOption{pyexec.Shared()}, 0},
		{"isolated/score", scoreCode, nil, 0},
		{"fresh/score", scoreCode, []pyexec.ExecOption{pyexec.Fresh()}, 0},
		{"isolated/leaky", "import zlib", nil, 0},
		{"isolated/tiny/no-yield", tinyCode, nil, -1},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := newPool(b, pyexec.Options{Size: 1, Timeout: time.Minute, YieldAfter: c.yield})
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			for b.Loop() {
				if r, err := p.Execute(ctx, c.code, c.opts...); err != nil || !r.Passed {
					b.Fatal(r, err)
				}
			}
			// Minor page faults and kernel time per call, the process's
			// (background clones included): what a copy-on-write clone costs
			// where faults are dear. Pages a clone prefaults count as faults
			// but cost far less than trapped ones: the kernel time tells.
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			b.ReportMetric(float64(ru1.Minflt-ru0.Minflt)/float64(b.N), "minflt/op")
			sys := time.Duration(ru1.Stime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(sys.Microseconds())/float64(b.N), "sys-µs/op")
		})
	}
}

// sessionCode is a step of an environment with state: it reads what the
// previous step left.
const sessionCode = "n = globals().get('n', 0) + 1"

// BenchmarkSession is a call in a session, and pydantic Monty's metric: a
// new interpreter and 10 calls in it (a new session, its calls, its reset),
// beside a new persistent native python3 doing the same.
func BenchmarkSession(b *testing.B) {
	b.Run("call", func(b *testing.B) {
		p := newPool(b, pyexec.Options{Size: 1, Timeout: time.Minute})
		for b.Loop() {
			if r, err := p.Execute(ctx, sessionCode, pyexec.InSession("s")); err != nil || !r.Passed {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("new+10", func(b *testing.B) {
		p := newPool(b, pyexec.Options{Size: 1, Timeout: time.Minute})
		i := 0
		for b.Loop() {
			i++
			id := "s" + strconv.Itoa(i)
			for range 10 {
				if r, err := p.Execute(ctx, sessionCode, pyexec.InSession(id)); err != nil || !r.Passed {
					b.Fatal(r, err)
				}
			}
			p.ResetSession(id)
		}
	})
	b.Run("new+10/native-persistent", func(b *testing.B) {
		for b.Loop() {
			n := startNative(b, nativeLoop)
			for range 10 {
				if err := n.exec(sessionCode); err != nil {
					b.Fatal(err)
				}
			}
			n.in.Close()
			n.cmd.Wait()
		}
	})
}

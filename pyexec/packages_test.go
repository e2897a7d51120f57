package pyexec_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

// packagesPool is a pool with the third-party packages of `make
// python-packages` (make test builds them, as it builds python.wasm).
func packagesPool(t testing.TB) *pyexec.Pool {
	t.Helper()
	packagesSite(t)
	return newPool(t, pyexec.Options{Size: 1})
}

// packagesSite is the site directory pools find by default.
func packagesSite(t testing.TB) string {
	t.Helper()
	art, err := pyexec.FindArtefacts("")
	if err != nil {
		t.Fatal(err)
	}
	site, err := pyexec.FindPackages("", art)
	if site == "" {
		t.Fatalf("no third-party packages for %s (%v): build them with `make python-packages`", art.Stdlib, err)
	}
	return site
}

// sympyTimeout bounds a call that imports sympy in a fresh interpreter:
// 0.5-0.7 s alone, several times that under -race on a loaded 2-core machine.
const sympyTimeout = time.Minute

// sympy and mpmath work in a fresh interpreter with no option: the answers
// a math task checks (a solved equation, an integral, a symbolic
// determinant, a factorisation, a constant to 50 digits).
func TestSympyAndMpmathInAFreshInterpreter(t *testing.T) {
	p := packagesPool(t)
	code := `import sympy as sp, mpmath
x, a, b, c, d = sp.symbols('x a b c d')
print(sorted(sp.solve(x**2 - 5*x + 6, x)))
print(sp.integrate(x * sp.exp(-x), (x, 0, sp.oo)), sp.integrate(sp.sin(x)**2, x))
print(sp.factor(sp.Matrix([[a, b], [c, d]]).det()), sp.Matrix([[2, 1], [1, 3]]).det())
print(sp.factorint(2**64 - 1))
mpmath.mp.dps = 50
print(mpmath.pi)
print(mpmath.quad(lambda t: mpmath.exp(-t**2), [-mpmath.inf, mpmath.inf]) ** 2)
`
	want := `[2, 3]
1 x/2 - sin(x)*cos(x)/2
a*d - b*c 5
{3: 1, 5: 1, 17: 1, 257: 1, 641: 1, 65537: 1, 6700417: 1}
3.1415926535897932384626433832795028841971693993751
3.1415926535897932384626433832795028841971693993751
`
	r := run(t, p, code, pyexec.Fresh(), pyexec.WithTimeout(sympyTimeout))
	if !r.Passed || r.Stdout != want {
		t.Fatalf("got %+v\nwant stdout:\n%s", trim(r), want)
	}
	// The read-only mount has a .pyc for every module, of this CPython
	// (magic number) and with unchecked hashes (flags 1: used without
	// reading the source), so no import compiles (3.5-4 s otherwise).
	check := `import sys, importlib.util, sympy, mpmath
bad = []
for name, m in list(sys.modules.items()):
    if name.split('.')[0] in ('sympy', 'mpmath') and getattr(m, '__cached__', None):
        with open(m.__cached__, 'rb') as f:
            head = f.read(8)
        if head[:4] != importlib.util.MAGIC_NUMBER or int.from_bytes(head[4:8], 'little') != 1:
            bad.append(name)
print(len(bad), bad[:3])
`
	r = run(t, p, check, pyexec.WithTimeout(sympyTimeout))
	if !r.Passed || r.Stdout != "0 []\n" {
		t.Fatalf("sympy's .pyc: %+v", trim(r))
	}
}

// Pure-Python code asks ctypes about C types and gets the answers of the
// interpreter it runs in (wasm32: 4-byte long and pointers, 8-byte aligned
// doubles), struct's included; sympy asks sizeof(c_long).
func TestCtypesAnswersForWasm32(t *testing.T) {
	p := packagesPool(t)
	code := `import ctypes as C, struct
print([C.sizeof(t) for t in (C.c_char, C.c_short, C.c_int, C.c_long, C.c_longlong, C.c_void_p, C.c_size_t, C.c_double, C.c_longdouble, C.c_wchar)])
print(all(C.sizeof(t) == struct.calcsize(t._type_) for t in (C.c_short, C.c_int, C.c_long, C.c_longlong, C.c_void_p, C.c_double)))
class S(C.Structure):
    _fields_ = [('a', C.c_char), ('b', C.c_int), ('c', C.c_double), ('d', C.c_short)]
class Packed(C.Structure):
    _pack_ = 1
    _fields_ = [('a', C.c_char), ('b', C.c_int)]
class Bits(C.Structure):
    _fields_ = [('x', C.c_int, 3), ('y', C.c_int, 30)]
print(C.sizeof(S), C.alignment(S), [S.a.offset, S.b.offset, S.c.offset, S.d.offset], C.sizeof(Packed), C.sizeof(Bits), C.sizeof(C.c_int * 5))
print(C.c_int(2**32 + 7).value, C.c_ubyte(-1).value, C.create_string_buffer(b'hi', 4).raw)
from sympy.external.gmpy import LONG_MAX
print(LONG_MAX == 2**31 - 1)
`
	want := "[1, 2, 4, 4, 8, 4, 4, 8, 16, 4]\nTrue\n24 8 [0, 4, 8, 16] 5 8 20\n7 255 b'hi\\x00\\x00'\nTrue\n"
	r := run(t, p, code, pyexec.WithTimeout(sympyTimeout))
	if !r.Passed || r.Stdout != want {
		t.Fatalf("got %+v\nwant stdout:\n%s", trim(r), want)
	}
}

// What would load a library, call native code or touch memory at an address
// still fails, with ctypes importable; the interpreter stays healthy.
func TestCtypesRunsNoNativeCode(t *testing.T) {
	p := packagesPool(t)
	for _, c := range []struct{ name, code, err string }{
		{"CDLL", "ctypes.CDLL('libc.so.6').system(b'id')", "OSError"},
		{"find_library", "ctypes.CDLL(ctypes.util.find_library('c')).system(b'id')", "AttributeError"},
		{"pythonapi", "ctypes.pythonapi.Py_IncRef(ctypes.py_object(1))", "AttributeError"},
		{"program symbol", "ctypes.CDLL(None).abort()", "AttributeError"},
		{"memmove", "ctypes.memmove(0x1000, 0x2000, 16)", "OSError"},
		{"string_at", "ctypes.string_at(0x1000, 8)", "OSError"},
		{"from_address", "ctypes.c_int.from_address(0x1000).value", "OSError"},
		{"addressof", "ctypes.addressof(ctypes.c_int(1))", "OSError"},
		{"pointer", "ctypes.pointer(ctypes.c_int(1)).contents", "OSError"},
		{"cast", "ctypes.cast(id(1), ctypes.POINTER(ctypes.c_long))[0]", "OSError"},
		{"function pointer", "ctypes.CFUNCTYPE(ctypes.c_int)(0x1234)()", "OSError"},
		{"callback", "ctypes.CFUNCTYPE(ctypes.c_int)(lambda: 0)()", "OSError"},
		{"PyObj_FromPtr", "import _ctypes; _ctypes.PyObj_FromPtr(0x1000)", "OSError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, p, "import ctypes, ctypes.util\n"+c.code+"\nprint('ran')")
			// The error is the refusal's, not ctypes failing to import.
			if r.Passed || r.Failure != pyexec.FailException || !strings.Contains(r.Stderr, "\n"+c.err+": ") || r.Stdout != "" {
				t.Fatalf("result %+v", trim(r))
			}
			healthy(t, p, 2)
		})
	}
}

// NoPackages mounts none: no sympy, and no ctypes (as without the build).
func TestNoPackages(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, NoPackages: true})
	for _, code := range []string{"import sympy", "import ctypes"} {
		if r := run(t, p, code); r.Passed || !strings.Contains(r.Stderr, "ModuleNotFoundError") {
			t.Fatalf("%s with NoPackages: %+v", code, trim(r))
		}
	}
}

// sympyWork is a symbolic workload of a math task, sympy's cache cleared
// first so that every run computes.
const sympyWork = `import sympy as sp
from sympy.core.cache import clear_cache
clear_cache()
x, y = sp.symbols('x y')
f = sp.Function('f')
sp.integrate(sp.exp(x) * sp.sin(x)**2, x)
sp.solve([x**2 + y**2 - 4, x - y], [x, y])
sp.simplify((x**3 - 1) / (x - 1) + sp.sin(x)**2 + sp.cos(x)**2)
sp.series(sp.tan(x), x, 0, 10)
sp.Matrix(4, 4, lambda i, j: sp.Symbol('a%d%d' % (i, j))).det()
sp.factor(x**20 - 1)
sp.dsolve(f(x).diff(x, 2) + f(x), f(x))
`

// BenchmarkSympy: what a call that imports sympy pays in a fresh
// interpreter, and sympyWork with sympy imported, against native python3
// given the same site directory (its own .pyc written elsewhere, once).
func BenchmarkSympy(b *testing.B) {
	b.Run("import/fresh", func(b *testing.B) {
		p := packagesPool(b)
		for b.Loop() {
			if r, err := p.Execute(ctx, "import sympy", pyexec.Fresh(), pyexec.WithTimeout(sympyTimeout)); err != nil || !r.Passed {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("import/native-python3", func(b *testing.B) {
		nativeWithPackages(b)
		imp := func() {
			if out, err := exec.Command(realPython(b), "-c", "import sympy").CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		imp() // compiles the .pyc
		for b.Loop() {
			imp()
		}
	})
	b.Run("workload/sandbox", func(b *testing.B) {
		p := packagesPool(b)
		if r, err := p.Execute(ctx, "import sympy", pyexec.InSession("w"), pyexec.WithTimeout(sympyTimeout)); err != nil || !r.Passed {
			b.Fatal(r, err)
		}
		for b.Loop() {
			if r, err := p.Execute(ctx, sympyWork, pyexec.InSession("w"), pyexec.WithTimeout(sympyTimeout)); err != nil || !r.Passed {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("workload/native-python3", func(b *testing.B) {
		nativeWithPackages(b)
		n := startNative(b, nativeLoop)
		if err := n.exec("import sympy"); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := n.exec(sympyWork); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// nativeWithPackages points the native python3s this benchmark starts at
// the site directory, writing their own .pyc outside it.
func nativeWithPackages(b *testing.B) {
	b.Setenv("PYTHONPATH", packagesSite(b))
	b.Setenv("PYTHONPYCACHEPREFIX", b.TempDir())
	b.Setenv("PYTHONDONTWRITEBYTECODE", "") // set in some environments: the .pyc must be written once
}

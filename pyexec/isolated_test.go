package pyexec_test

import (
	"strings"
	"testing"

	"github.com/sandhost/sandhost/pyexec"
)

// In the default, isolated model each call sees a fresh interpreter's
// state: nothing an earlier call defined, imported, rebound or
// monkey-patched, while the shared model keeps all of it (TorchRL).
func TestIsolatedCallsSeeAFreshInterpreter(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	for _, c := range []struct{ name, before, after, want string }{
		{"a module-level name shadowing a builtin", "list = [3, 1, 4]", "print(list((1, 2)))", "[1, 2]\n"},
		{"a forgotten import", "import heapq", "print(heapq.nsmallest(1, [2, 1]))", "NameError"},
		{"a module imported outside the baseline", "import sqlite3\nsqlite3.sqlite_version = 'x'", "import sqlite3; print(sqlite3.sqlite_version != 'x')", "True\n"},
		{"a rebound builtin", "import builtins; builtins.len = lambda x: 42", "print(len([1]))", "1\n"},
		{"a monkey-patched stdlib function", "import math; math.sqrt = lambda x: 0", "import math; print(math.sqrt(4))", "2.0\n"},
		{"sys.path", "import sys; sys.path.insert(0, '/nowhere')", "import sys; print('/nowhere' in sys.path)", "False\n"},
		{"the standard streams", "import sys; sys.__stdout__ = None", "import sys; print(sys.__stdout__ is not None)", "True\n"},
		{"os.environ", "import os; os.environ['LEAK'] = '1'", "import os; print('LEAK' in os.environ)", "False\n"},
		{"the decimal context", "import decimal; decimal.getcontext().prec = 3", "import decimal; print(decimal.getcontext().prec)", "28\n"},
		{"the recursion limit", "import sys; sys.setrecursionlimit(50)", "import sys; print(sys.getrecursionlimit() > 50)", "True\n"},
		{"warning filters", "import warnings; warnings.simplefilter('error')", "import warnings; warnings.warn('w'); print('ran')", "ran\n"},
		{"a /tmp file", "open('/tmp/f', 'w').write('x')", "import os; print(os.path.exists('/tmp/f'))", "False\n"},
		{"the working directory", "import os; os.mkdir('/tmp/d'); os.chdir('/tmp/d')", "import os; print(os.getcwd())", "/tmp\n"},
		{"a random seed", "import random; random.seed(0)", "import random; random.seed(0); a = random.random()\nimport __main__; print(a)", ""},
	} {
		if r := run(t, p, c.before); !r.Passed {
			t.Fatalf("%s: the first call: %+v", c.name, r)
		}
		r := run(t, p, c.after)
		if c.want == "" {
			continue
		}
		if got := r.Stdout + r.Stderr; !strings.Contains(got, c.want) {
			t.Errorf("%s leaked into the next call: got %q, want %q", c.name, got, c.want)
		}
	}
	// Shared keeps what a call left, as TorchRL's service mode does.
	run(t, p, "list = [3, 1, 4]", pyexec.Shared())
	if r := run(t, p, "list((1, 2))", pyexec.Shared()); r.Passed || !strings.Contains(r.Stderr, "'list' object is not callable") {
		t.Fatalf("shared mode lost its state: %+v", r)
	}
}

// What no module's names show, a later isolated call does not see either:
// a class's or a function's attributes, the collector's settings, hooks
// installed in the interpreter, a closed stdin; nor a builtin rebound to
// an object that claims to equal everything.
func TestIsolatedCallsSeeNoHiddenChange(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	for _, c := range []struct{ name, before, after, want string }{
		{"a builtin rebound to what equals everything", "import builtins\nclass C:\n    def __eq__(self, o): return True\n" +
			"    def __call__(self, *a): return 42\nbuiltins.len = C()", "print(len([1]))", "1\n"},
		{"a stdlib class's attribute", "import json; json.JSONEncoder.item_separator = '|'", "import json; print(json.dumps([1, 2]))", "[1, 2]\n"},
		{"a stdlib function's code", "import textwrap; textwrap.dedent.__code__ = (lambda text: 'X').__code__",
			"import textwrap; print(textwrap.dedent('  a'))", "a\n"},
		{"the collector's thresholds", "import gc; gc.set_threshold(0)", "import gc; print(gc.get_threshold()[0] > 0)", "True\n"},
		{"a collector callback", "import gc; gc.callbacks.append(lambda phase, info: None)", "import gc; print(gc.callbacks)", "[]\n"},
		{"an audit hook", "import sys\ndef hook(event, args):\n    if event == 'exec': raise RuntimeError('hooked')\nsys.addaudithook(hook)",
			"print('ran')", "ran\n"},
		{"a monitoring tool", "import sys; sys.monitoring.use_tool_id(3, 'leak')", "import sys; print(sys.monitoring.get_tool(3))", "None\n"},
		{"a /tmp file with the directory's time set back", "import os; st = os.stat('/tmp')\nopen('/tmp/leak', 'w').write('x')\n" +
			"os.utime('/tmp', ns=(st.st_atime_ns, st.st_mtime_ns))", "import os; print(os.listdir('/tmp'))", "[]\n"},
		{"a closed stdin", "import sys; sys.stdin.close()", "try:\n    input()\nexcept EOFError:\n    print('eof')", "eof\n"},
	} {
		if r := run(t, p, c.before); !r.Passed {
			t.Fatalf("%s: the first call: %+v", c.name, r)
		}
		if r := run(t, p, c.after); r.Stdout != c.want {
			t.Errorf("%s leaked into the next call: got %q (stderr %q), want %q", c.name, r.Stdout, r.Stderr, c.want)
		}
	}
}

// What a call leaves in reference cycles is collected as it ends, as a
// process collects it at its exit: a finalizer prints into that call's
// output and not into a later one's, also when the call's own collections
// moved the cycle to the oldest generation.
func TestIsolatedCallsCollectTheirCycles(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	const cycle = "class A:\n    def __del__(self): print('finalized')\na = A(); a.me = a\n"
	for _, c := range []struct{ name, code string }{
		{"young", cycle + "del a\nprint('done')"},
		{"promoted", cycle + "junk = [[] for _ in range(200000)]\ndel a\nprint('done')"},
	} {
		if r := run(t, p, c.code); r.Stdout != "done\nfinalized\n" {
			t.Errorf("%s: the call's output %q, want its finalizer's after it", c.name, r.Stdout)
		}
		if r := run(t, p, "import gc; gc.collect(); print('next')"); r.Stdout != "next\n" {
			t.Errorf("%s: the next call's output %q", c.name, r.Stdout)
		}
	}
}

// After random.seed in one isolated call the next draws unseeded numbers,
// as a fresh interpreter would.
func TestIsolatedCallsAreReseeded(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	const draw = "import random; print(random.random())"
	seeded := run(t, p, "import random; random.seed(0); "+draw[len("import random; "):])
	if r := run(t, p, draw); r.Stdout == seeded.Stdout {
		t.Fatalf("the call after random.seed(0) drew the seeded number %s", r.Stdout)
	}
}

// A warning on stderr is not a failure: Passed is the verdict to score by,
// Success stays TorchRL's (nothing on stderr); a non-zero exit fails both.
func TestWarningIsNotAFailure(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	for _, c := range []struct {
		code            string
		passed, success bool
	}{
		{"import re\nprint(re.findall('\\d', 'a1'))", true, false}, // SyntaxWarning: invalid escape sequence
		{"x = 0\nprint(x is 0)", true, false},                      // SyntaxWarning: "is" with a literal
		{"import warnings; warnings.warn('careful'); print('done')", true, false},
		{"print('clean')", true, true},
		{"import sys; sys.exit(0)", true, false},
		{"import sys; sys.exit(3)", false, false},
		{"raise ValueError('no')", false, false},
	} {
		r := run(t, p, c.code)
		if r.Passed != c.passed || r.Success != c.success {
			t.Errorf("%q: passed %v success %v, want %v %v (%+v)", c.code, r.Passed, r.Success, c.passed, c.success, r)
		}
	}
}

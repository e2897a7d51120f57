package pyexec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/pyexec"
)

// Preloaded modules are imported in every interpreter from the start
// (fresh ones too), yet, as in any fresh interpreter, not bound in the
// code's namespace until it imports them.
func TestPreloadedModulesStartImported(t *testing.T) {
	packagesSite(t)
	p := newPool(t, pyexec.Options{Size: 1, Preload: []string{"sympy", "json.decoder"}})
	code := "import sys\nprint('sympy' in sys.modules, 'json.decoder' in sys.modules)\ntry:\n    sympy\nexcept NameError:\n    print('unbound')\n" +
		"import sympy\nprint(sympy.factorint(2**64 - 1)[6700417])"
	for _, opt := range []pyexec.ExecOption{pyexec.Fresh(), pyexec.WithTimeout(sympyTimeout)} {
		r := run(t, p, code, opt, pyexec.WithTimeout(sympyTimeout))
		if !r.Passed || r.Stdout != "True True\nunbound\n1\n" {
			t.Fatalf("%+v", r)
		}
	}
}

// A module that cannot be imported, or a name that is not a module's,
// stops the pool from starting, with an error that names it.
func TestPreloadErrors(t *testing.T) {
	for _, mod := range []string{"no_such_module_here", "os; print(1)", ""} {
		_, err := pyexec.NewPool(context.Background(), pyexec.Options{Size: 1, Preload: []string{mod}})
		if err == nil || !strings.Contains(err.Error(), "preload") {
			t.Fatalf("preload %q: %v", mod, err)
		}
	}
}

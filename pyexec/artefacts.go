package pyexec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sandhost/sandhost/sandbox"
)

// ErrNoPython: the CPython-WASI artefacts are not built.
var ErrNoPython = errors.New("python.wasm not found")

// Artefacts locate a CPython-WASI build: python.wasm (the embedding module)
// and its standard library.
type Artefacts struct {
	Dir    string // holds python.wasm and lib/
	Wasm   string // python.wasm
	Stdlib string // lib/python3.13, mounted read-only at /usr/local/lib/python3.13
}

// FindArtefacts looks for the build, in order: dir (when not empty), the
// directory in $SANDHOST_PYTHON_DIR, then the cache that `make python-wasm`
// fills ($SANDHOST_CACHE or ~/.cache/sandhost, python-wasm/current).
func FindArtefacts(dir string) (Artefacts, error) {
	var tried []string
	cands := []string{dir, os.Getenv("SANDHOST_PYTHON_DIR"), filepath.Join(sandbox.CacheRoot(), "python-wasm", "current")}
	for _, d := range cands {
		if d == "" {
			continue
		}
		a := Artefacts{Dir: d, Wasm: filepath.Join(d, "python.wasm"), Stdlib: filepath.Join(d, "lib", "python3.13")}
		_, e1 := os.Stat(a.Wasm)
		st, e2 := os.Stat(a.Stdlib)
		if e1 == nil && e2 == nil && st.IsDir() {
			return a, nil
		}
		tried = append(tried, d)
	}
	return Artefacts{}, fmt.Errorf("%w (looked in %v): build it with `make python-wasm` (about 5 minutes, cached), or set SANDHOST_PYTHON_DIR", ErrNoPython, tried)
}

package pyexec

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/sandhost/sandhost/sandbox"
)

// ErrNoPython: the CPython-WASI artefacts are not built.
var ErrNoPython = errors.New("python.wasm not found")

// Artefacts locate a CPython-WASI build: python.wasm (the embedding module)
// and its standard library. The stdlib's directory name (python3.X) is read
// from the build, so a CPython minor upgrade changes only the build scripts.
type Artefacts struct {
	Dir         string // holds python.wasm and lib/
	Wasm        string // python.wasm
	Stdlib      string // lib/python3.X, mounted read-only at GuestStdlib
	GuestStdlib string // /usr/local/lib/python3.X, where CPython looks with PYTHONHOME=/usr/local
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
		wasm := filepath.Join(d, "python.wasm")
		if _, err := os.Stat(wasm); err != nil {
			tried = append(tried, d)
			continue
		}
		stdlib, err := findStdlib(d)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", d, err))
			continue
		}
		return Artefacts{Dir: d, Wasm: wasm, Stdlib: stdlib, GuestStdlib: path.Join("/usr/local/lib", filepath.Base(stdlib))}, nil
	}
	return Artefacts{}, fmt.Errorf("%w (looked in %v): build it with `make python-wasm` (about 5 minutes, cached), or set SANDHOST_PYTHON_DIR", ErrNoPython, tried)
}

// findStdlib is the build's one lib/python3.X directory.
func findStdlib(dir string) (string, error) {
	libs, _ := filepath.Glob(filepath.Join(dir, "lib", "python3.*"))
	var dirs []string
	for _, l := range libs {
		if st, err := os.Stat(l); err == nil && st.IsDir() {
			dirs = append(dirs, l)
		}
	}
	if len(dirs) != 1 {
		return "", fmt.Errorf("want one lib/python3.X directory, found %d", len(dirs))
	}
	return dirs[0], nil
}

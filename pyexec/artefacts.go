package pyexec

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/sandhost/sandhost/sandbox"
)

// ErrNoPython: the CPython-WASI artefacts are not built.
var ErrNoPython = errors.New("python.wasm not found")

// Artefacts locate a CPython-WASI build: python.wasm (the embedding module)
// and its standard library, and the third-party packages built for it. The
// stdlib's directory name (python3.X) is read from the build, so a CPython
// minor upgrade changes only the build scripts.
type Artefacts struct {
	Dir         string // holds python.wasm and lib/
	Wasm        string // python.wasm
	Stdlib      string // lib/python3.X, mounted read-only at GuestStdlib
	GuestStdlib string // /usr/local/lib/python3.X, where CPython looks with PYTHONHOME=/usr/local
	Site        string // third-party packages (see FindPackages), mounted read-only at GuestSite; "" for none
	GuestSite   string // GuestStdlib/lib-dynload: on sys.path after the stdlib
}

// FindArtefacts looks for the build in dir when not empty, else in the
// directory in $SANDHOST_PYTHON_DIR when set, else in the cache that `make
// python-wasm` fills ($SANDHOST_CACHE or ~/.cache/sandhost,
// python-wasm/current). A directory named by either must hold the build:
// falling back on the cache would run another interpreter than the one asked
// for.
func FindArtefacts(dir string) (Artefacts, error) {
	d, explicit := chooseDir(dir, "SANDHOST_PYTHON_DIR", "python-wasm")
	wasm := filepath.Join(d, "python.wasm")
	if _, err := os.Stat(wasm); err != nil {
		if explicit {
			return Artefacts{}, fmt.Errorf("%w: %s: %w", ErrNoPython, d, err)
		}
		return Artefacts{}, fmt.Errorf("%w (looked in %s): build it with `make python-wasm` (about 5 minutes, cached), or set SANDHOST_PYTHON_DIR", ErrNoPython, d)
	}
	stdlib, err := findStdlib(d)
	if err != nil {
		return Artefacts{}, fmt.Errorf("%w: %s: %w", ErrNoPython, d, err)
	}
	guest := path.Join("/usr/local/lib", filepath.Base(stdlib))
	return Artefacts{Dir: d, Wasm: wasm, Stdlib: stdlib, GuestStdlib: guest, GuestSite: path.Join(guest, "lib-dynload")}, nil
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

// ErrNoPackages: a packages directory given by option or environment is not
// a site directory built for this CPython.
var ErrNoPackages = errors.New("python packages not found")

// chooseDir is dir when given, else the directory in the environment
// variable env when set (explicit either way: it must hold what is looked
// for), else the cache's current build of kind.
func chooseDir(dir, env, kind string) (d string, explicit bool) {
	if dir == "" {
		dir = os.Getenv(env)
	}
	if dir != "" {
		return dir, true
	}
	return filepath.Join(sandbox.CacheRoot(), kind, "current"), false
}

// FindPackages looks for the site directory of third-party packages that
// `make python-packages` builds for the stdlib of art: in dir (when not
// empty), in $SANDHOST_PACKAGES_DIR, or in the cache ($SANDHOST_CACHE or
// ~/.cache/sandhost, python-packages/current). Each holds site/ and a
// manifest.txt naming the CPython minor it was compiled for (its .pyc are
// that version's). Packages are optional: with neither dir nor the
// variable set, a missing or mismatched cache gives "" and no error; a
// directory named by either must be usable (ErrNoPackages).
func FindPackages(dir string, art Artefacts) (string, error) {
	want := strings.TrimPrefix(filepath.Base(art.Stdlib), "python")
	d, explicit := chooseDir(dir, "SANDHOST_PACKAGES_DIR", "python-packages")
	site, err := siteFor(d, want)
	if err != nil && explicit {
		return "", fmt.Errorf("%w: %s: %v (build it with `make python-packages`)", ErrNoPackages, d, err)
	}
	return site, nil
}

// siteFor is dir's site/ when its manifest says it was built for python
// (3.X).
func siteFor(dir, python string) (string, error) {
	f, err := os.Open(filepath.Join(dir, "manifest.txt"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	built := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "python="); ok {
			built = v
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if built != python {
		return "", fmt.Errorf("built for CPython %q, not %q", built, python)
	}
	site := filepath.Join(dir, "site")
	if st, err := os.Stat(site); err != nil || !st.IsDir() {
		return "", fmt.Errorf("no site directory")
	}
	return site, nil
}

// artefacts finds the build and, unless NoPackages, its packages.
func (o *Options) artefacts() (Artefacts, error) {
	art, err := FindArtefacts(o.PythonDir)
	if err != nil || o.NoPackages {
		return art, err
	}
	art.Site, err = FindPackages(o.PackagesDir, art)
	return art, err
}

// mounts are the build's read-only directories, the same for every
// instance of a pool.
func (a Artefacts) mounts() []sandbox.Mount {
	m := []sandbox.Mount{{HostDir: a.Stdlib, GuestPath: a.GuestStdlib}}
	if a.Site != "" {
		m = append(m, sandbox.Mount{HostDir: a.Site, GuestPath: a.GuestSite})
	}
	return m
}

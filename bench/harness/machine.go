package harness

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/internal/threadprio"
	"github.com/sandhost/sandhost/pyexec"
)

// Machine describes where a run was made: its figures mean something only
// beside it.
type Machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemoryMB int64  `json:"memory_mb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	// CPython is the version in the wasm build (its manifest), with the
	// Debian package it was built from.
	CPython string `json:"cpython"`
	// Python and NativePython are the baselines' interpreters: path and
	// version ("" when absent).
	Python       string `json:"python"`
	NativePython string `json:"native_python"`
	Redis        string `json:"redis"` // redis-server's version, or the given Redis's
	Commit       string `json:"commit"`
	// RaisesThreads says whether the process may raise a thread it
	// lowered (CAP_SYS_NICE): without it long calls stand aside at the
	// guests' priority, and the RL workload scores lower and later
	// (RATIONALE "Where threads cannot be raised, nobody goes to nice 19").
	RaisesThreads bool `json:"raises_threads"`
	// LoadStart and LoadEnd are the one-minute load averages at the start
	// and end of the run: a shared machine shows here.
	LoadStart float64 `json:"load_start"`
	LoadEnd   float64 `json:"load_end"`
}

// describe fills what can be known before the run.
func describe(ctx context.Context, cfg Config, py, native string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Kernel: firstLine("/proc/sys/kernel/osrelease"),
		Commit: commit(ctx), LoadStart: loadAvg(), RaisesThreads: threadprio.MayRaise()}
	m.CPU = procField("/proc/cpuinfo", "model name")
	if kb, err := strconv.ParseInt(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 10, 64); err == nil {
		m.MemoryMB = kb / 1024
	}
	if a, err := pyexec.FindArtefacts(""); err == nil {
		man := manifest(a.Dir)
		m.CPython = strings.TrimSpace(man["cpython"] + " (Debian " + man["debian_python3.13"] + ")")
	}
	m.Python = pythonVersion(ctx, py)
	m.NativePython = pythonVersion(ctx, native)
	m.Redis = redisVersion(ctx, cfg.Redis)
	return m
}

// manifest is the key=value lines of a CPython-WASI build's manifest.txt.
func manifest(dir string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(dir + "/manifest.txt")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && out[k] == "" {
			out[k] = v
		}
	}
	return out
}

// pythonVersion is "PATH (VERSION)", "" without an interpreter.
func pythonVersion(ctx context.Context, py string) string {
	if py == "" {
		return ""
	}
	out, err := exec.CommandContext(ctx, py, "-c", "import platform; print(platform.python_version())").Output()
	if err != nil {
		return py
	}
	return py + " (" + strings.TrimSpace(string(out)) + ")"
}

// redisVersion is the given Redis's version (INFO server), else
// redis-server's on PATH; embedded only: miniredis's module version.
func redisVersion(ctx context.Context, url string) string {
	if url != "" {
		if opt, err := goredis.ParseURL(url); err == nil {
			c := goredis.NewClient(opt)
			defer c.Close()
			if info, err := c.Info(ctx, "server").Result(); err == nil {
				for _, l := range strings.Split(info, "\r\n") {
					if v, ok := strings.CutPrefix(l, "redis_version:"); ok {
						return "redis " + v + " (given)"
					}
				}
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "redis-server", "--version").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return "none (embedded only: " + moduleVersion("github.com/alicebob/miniredis/v2") + ")"
}

// moduleVersion is a dependency's version from the build info.
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return "miniredis " + d.Version
			}
		}
	}
	return "miniredis"
}

// commit is the commit the binary was built from (marked -dirty with local
// changes); without one in its build info (go run, go test), the checkout's
// when the working directory is in sandhost's own repository, so a run
// started from another project does not record that project's commit.
func commit(ctx context.Context) string {
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	if rev := revision(settings); rev != "" {
		return rev
	}
	if rev := checkout(ctx); rev != "" {
		return rev
	}
	return "unknown"
}

// revision is the build info's vcs.revision, "" without one.
func revision(settings []debug.BuildSetting) string {
	var rev, dirty string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// modulePath is sandhost's module path, read off this package's so that it
// cannot drift from go.mod.
var modulePath = strings.TrimSuffix(reflect.TypeFor[Machine]().PkgPath(), "/bench/harness")

// checkout is `git describe` of the working directory's repository when
// its root's go.mod is sandhost's module, else "".
func checkout(ctx context.Context) string {
	top, err := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return ""
	}
	mod, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(top)), "go.mod"))
	if err != nil || goModule(mod) != modulePath {
		return ""
	}
	out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty", "--abbrev=12").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// goModule is the path on a go.mod's module line.
func goModule(mod []byte) string {
	for _, l := range strings.Split(string(mod), "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(p), `"`)
		}
	}
	return ""
}

// procField is the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func firstLine(path string) string {
	b, _ := os.ReadFile(path)
	l, _, _ := strings.Cut(string(b), "\n")
	return l
}

// loadAvg is the one-minute load average.
func loadAvg() float64 {
	f := strings.Fields(firstLine("/proc/loadavg"))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

package pyexec

import (
	"log/slog"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// Options configure a Pool.
type Options struct {
	Size        int             // run slots: interpreters running at once in every state model, besides those standing aside (YieldAfter); and the pooled ones (default 4)
	Timeout     time.Duration   // default per-call timeout (default 10s)
	MemoryLimit int64           // per interpreter, bytes (default 256 MiB)
	OutputCap   int             // per stream (sys.stdout and fd 1 together), bytes (default 1 MiB)
	ScratchSize int64           // each interpreter's in-memory /tmp, bytes (default 64 MiB)
	FileCap     int64           // per output file returned, bytes (default 8 MiB)
	Mounts      []sandbox.Mount // host directories mounted read-only in every interpreter
	PythonDir   string          // where python.wasm is (see FindArtefacts)
	PackagesDir string          // the third-party packages (sympy, mpmath; see FindPackages), on by default when built
	NoPackages  bool            // mount no third-party packages (nor the ctypes stand-in among them)
	Engine      string          // sandbox engine (default sandbox.DefaultEngine)
	MaxSessions int             // live sessions kept (default 64; the least recently used goes)
	Spares      int             // clean interpreters kept ready for replacements, sessions and fresh calls (default 1)
	SessionIdle time.Duration   // idle sessions are closed after this (default 10 min)
	Services    *Services       // services the code may call with `import sandhost` (AllowServices; default none)
	// Preload names modules imported before the snapshot, so that every
	// interpreter starts with them (e.g. "sympy": a fresh call importing it
	// takes ~0.1 s instead of 1.3–1.9 s). Each costs snapshot memory, and
	// the isolated model checks them all for changes after every call.
	Preload []string
	// YieldAfter is the CPU time after which a running call in the
	// isolated (default) model gives way to calls that have run less: its
	// thread runs at the lowest priority until the call ends (at the
	// guests' priority where the process may not raise a thread again: no
	// CAP_SYS_NICE), and it stands aside from its run slot for the next
	// call (up to Size calls at once). Its timeout and verdict are
	// unchanged. Default 30ms; negative: never.
	YieldAfter time.Duration
	Logger     *slog.Logger
}

func (o *Options) defaults() {
	if o.Size <= 0 {
		o.Size = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = 256 << 20
	}
	if o.OutputCap <= 0 {
		o.OutputCap = 1 << 20
	}
	if o.ScratchSize <= 0 {
		o.ScratchSize = 64 << 20
	}
	if o.FileCap <= 0 {
		o.FileCap = 8 << 20
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 64
	}
	if o.Spares <= 0 {
		o.Spares = 1
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 10 * time.Minute
	}
	if o.YieldAfter == 0 {
		o.YieldAfter = 30 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

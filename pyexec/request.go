package pyexec

import "time"

// ExecOption configures one execution.
type ExecOption func(*execConfig)

type execConfig struct {
	session  string
	fresh    bool
	timeout  time.Duration
	files    map[string][]byte
	outFiles []string
	memory   int64
}

// WithMemoryLimit caps the interpreter's memory for this call, below the
// pool's MemoryLimit. A call that needs more gets MemoryError (failure
// "memory") and its interpreter is replaced.
func WithMemoryLimit(bytes int64) ExecOption { return func(c *execConfig) { c.memory = bytes } }

// WithFiles places files in the interpreter's /tmp before the code runs
// (names relative to /tmp; subdirectories are made).
func WithFiles(files map[string][]byte) ExecOption { return func(c *execConfig) { c.files = files } }

// WithOutputFiles asks for files of /tmp back in Result.Files after the
// call, each up to the pool's FileCap.
func WithOutputFiles(names ...string) ExecOption {
	return func(c *execConfig) { c.outFiles = append(c.outFiles, names...) }
}

// InSession runs the code in the session's own interpreter, which keeps its
// state across calls (created on first use).
func InSession(id string) ExecOption { return func(c *execConfig) { c.session = id } }

// Fresh runs the code in a clean, just-started interpreter, discarded after.
func Fresh() ExecOption { return func(c *execConfig) { c.fresh = true } }

// WithTimeout overrides the pool's default timeout for this call.
func WithTimeout(d time.Duration) ExecOption { return func(c *execConfig) { c.timeout = d } }

// Package pyexec runs Python code in a pool of CPython interpreters compiled
// to wasm32-wasi, each in its own sandbox: no host files but read-only
// mounts, no network, no subprocesses, a memory limit, and a deadline that
// stops even a loop inside C.
//
// Interpreters are started before the first call; an interpreter that times
// out, exhausts its memory, exits or breaks is discarded and replaced from a
// snapshot of a freshly started one, so the pool never shrinks and no later
// call sees its state. Three state models are chosen per call: shared (the
// default, TorchRL's service mode), session (a session ID keeps its own
// interpreter) and fresh (a clean interpreter for one call).
package pyexec

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sandhost/sandhost/sandbox"
)

// Failure says why a call did not succeed.
type Failure string

// Failure reasons.
const (
	FailNone      Failure = ""
	FailException Failure = "exception"  // the code raised
	FailTimeout   Failure = "timeout"    // stopped at its deadline
	FailMemory    Failure = "memory"     // over the memory limit
	FailExit      Failure = "exit"       // sys.exit or os._exit
	FailOutputCap Failure = "output_cap" // more output than the cap; the rest was dropped
	FailCrash     Failure = "crash"      // the interpreter broke (trap)
	FailQueued    Failure = "queued"     // the deadline passed before an interpreter was free
)

// Result is the outcome of one execution: TorchRL's fields plus duration
// and the failure reason.
type Result struct {
	Success    bool          `json:"success"`
	Stdout     string        `json:"stdout"`
	Stderr     string        `json:"stderr"`
	ReturnCode int           `json:"returncode"`
	Failure    Failure       `json:"failure,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	// Files are the output files asked for with WithOutputFiles that
	// exist after the call, by name (relative to /tmp).
	Files map[string][]byte `json:"files,omitempty"`
}

// Options configure a Pool.
type Options struct {
	Size        int             // interpreters for shared calls (default 4)
	Timeout     time.Duration   // default per-call timeout (default 10s)
	MemoryLimit int64           // per interpreter, bytes (default 256 MiB)
	OutputCap   int             // per stream, bytes (default 1 MiB)
	ScratchSize int64           // each interpreter's in-memory /tmp, bytes (default 64 MiB)
	FileCap     int64           // per output file returned, bytes (default 8 MiB)
	Mounts      []sandbox.Mount // host directories mounted read-only in every interpreter
	PythonDir   string          // where python.wasm is (see FindArtefacts)
	Engine      string          // sandbox engine (default sandbox.DefaultEngine)
	MaxSessions int             // live sessions kept (default 64; the least recently used goes)
	Spares      int             // clean interpreters kept ready for replacements, sessions and fresh calls (default 1)
	SessionIdle time.Duration   // idle sessions are closed after this (default 10 min)
	Logger      *slog.Logger
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
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Pool is a pool of ready interpreters. It is safe for concurrent use.
type Pool struct {
	opts Options
	art  Artefacts
	rt   *sandbox.Runtime
	mod  *sandbox.Module
	// modNoData is mod without data segments, for instances made from the
	// copy-on-write snapshot (nil: use mod and re-map after instantiation).
	modNoData *sandbox.Module
	snap      *snapshot

	idle   chan *interp // free shared interpreters; receivers are served FIFO
	spares chan *interp // clean interpreters, never used, ready to hand out

	mu       sync.Mutex
	sessions map[string]*list.Element // of *session, most recent first
	lru      *list.List
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

type session struct {
	id   string
	mu   sync.Mutex // one call at a time per session
	it   *interp
	used time.Time
	dead bool // evicted or reset: no longer in the pool's table
}

// ErrClosed: the pool was closed.
var ErrClosed = errors.New("pyexec: pool closed")

// NewPool starts a pool: it compiles python.wasm (from the on-disk cache
// when warm), starts one interpreter, snapshots it, and clones the others
// from the snapshot.
func NewPool(ctx context.Context, opts Options) (*Pool, error) {
	opts.defaults()
	art, err := FindArtefacts(opts.PythonDir)
	if err != nil {
		return nil, err
	}
	for _, m := range opts.Mounts {
		if st, err := os.Stat(m.HostDir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("pyexec: mount %s: not a directory", m.HostDir)
		}
	}
	rt, err := sandbox.Shared(ctx, opts.Engine, opts.MemoryLimit)
	if err != nil {
		return nil, err
	}
	mod, err := compiledPython(ctx, rt, art, false)
	if err != nil {
		return nil, err
	}
	p := &Pool{opts: opts, art: art, rt: rt, mod: mod, idle: make(chan *interp, opts.Size), spares: make(chan *interp, opts.Spares),
		sessions: map[string]*list.Element{}, lru: list.New()}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	first, err := p.coldStart(ctx)
	if err != nil {
		return nil, err
	}
	// CPython's first compile and first traceback initialise state lazily
	// (milliseconds); do both before the snapshot so no clone pays again.
	// Neither leaves anything in __main__.
	for _, warm := range []string{"pass", "raise ValueError('warm-up')"} {
		if _, err := first.exec(ctx, warm, 1024); err != nil {
			first.close()
			return nil, fmt.Errorf("pyexec: warm up interpreter: %w", err)
		}
	}
	if _, err := first.inst.Call(ctx, "sandhost_reseed"); err != nil {
		first.close()
		return nil, fmt.Errorf("pyexec: warm up interpreter: %w", err)
	}
	first.stdout.Take()
	first.stderr.Take()
	if p.snap, err = p.takeSnapshot(ctx, first); err != nil {
		first.close()
		return nil, err
	}
	if p.snap.cow != nil {
		if p.modNoData, err = compiledPython(ctx, rt, art, true); err != nil {
			p.opts.Logger.Warn("no data-less module variant; snapshot instances re-map their data pages", "err", err)
			p.modNoData = nil
		}
	}
	if p.snap.cow != nil {
		// Every interpreter a clone, the first one too, so that all of
		// them have memory the sandbox manages (per-call memory limits).
		first.close()
		if first, err = p.restore(ctx); err != nil {
			return nil, err
		}
	}
	p.idle <- first
	var wg sync.WaitGroup
	errs := make(chan error, opts.Size)
	for range opts.Size - 1 {
		wg.Go(func() {
			it, err := p.restore(ctx)
			if err != nil {
				errs <- err
				return
			}
			p.idle <- it
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		p.Close()
		return nil, err
	}
	for range opts.Spares {
		p.refill()
	}
	p.wg.Add(1)
	go p.janitor()
	return p, nil
}

var (
	modsMu sync.Mutex
	mods   = map[string]*sandbox.Module{} // by runtime, wasm path and variant: compile once per process
)

// compiledPython compiles python.wasm, or with stripData its variant with an
// empty data section (for instances that start from a snapshot).
func compiledPython(ctx context.Context, rt *sandbox.Runtime, art Artefacts, stripData bool) (*sandbox.Module, error) {
	key := fmt.Sprintf("%p|%s|%v", rt, art.Wasm, stripData)
	modsMu.Lock()
	defer modsMu.Unlock()
	if m, ok := mods[key]; ok {
		return m, nil
	}
	wasm, err := os.ReadFile(art.Wasm)
	if err != nil {
		return nil, err
	}
	name := "python.wasm"
	if stripData {
		if wasm, err = sandbox.WithoutData(wasm); err != nil {
			return nil, err
		}
		name = "python.wasm (no data section)"
	}
	m, err := rt.Compile(ctx, name, wasm)
	if err != nil {
		return nil, err
	}
	mods[key] = m
	return m, nil
}

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

// Execute runs code and reports its outcome. Failures of the code are in
// the Result; the error is for the pool itself (closed, or no interpreter
// could be made).
func (p *Pool) Execute(ctx context.Context, code string, opts ...ExecOption) (Result, error) {
	ec := execConfig{timeout: p.opts.Timeout}
	for _, o := range opts {
		o(&ec)
	}
	if ec.timeout <= 0 {
		ec.timeout = p.opts.Timeout
	}
	if !utf8.ValidString(code) {
		return Result{Stderr: "Error: code is not valid UTF-8\n", ReturnCode: 1, Failure: FailException}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ec.timeout)
	defer cancel()
	t0 := time.Now()
	var (
		res Result
		err error
	)
	switch {
	case ec.session != "":
		res, err = p.execSession(ctx, ec, code)
	case ec.fresh:
		res, err = p.execFresh(ctx, ec, code)
	default:
		res, err = p.execShared(ctx, ec, code)
	}
	res.Duration = time.Since(t0)
	return res, err
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *Pool) execShared(ctx context.Context, ec execConfig, code string) (Result, error) {
	if p.isClosed() {
		return Result{}, ErrClosed
	}
	var it *interp
	select {
	case it = <-p.idle:
	case <-p.ctx.Done():
		return Result{}, ErrClosed
	case <-ctx.Done():
		return Result{Stderr: fmt.Sprintf("No interpreter became free within %v (pool of %d busy)\n", ec.timeout, p.opts.Size),
			ReturnCode: -1, Failure: FailQueued}, nil
	}
	res, keep := p.run(ctx, ec, it, code)
	if keep && p.isClosed() { // Close has drained the pool already
		it.close()
	} else if keep {
		p.idle <- it
	} else {
		it.close()
		p.replace()
	}
	return res, nil
}

// clean returns an interpreter nobody has used: a spare if one is ready
// (and a new spare is made in the background), else a clone made now.
func (p *Pool) clean(ctx context.Context) (*interp, error) {
	select {
	case it := <-p.spares:
		p.refill()
		return it, nil
	default:
		return p.restore(ctx)
	}
}

// refill makes one spare in the background.
func (p *Pool) refill() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if it := p.restoreRetrying(); it != nil {
			select {
			case p.spares <- it:
			default:
				it.close()
			}
		}
	}()
}

// replace adds a clean interpreter to the shared ones, from a spare when
// one is ready, so the pool never stays short.
func (p *Pool) replace() {
	select {
	case it := <-p.spares:
		p.idle <- it
		p.refill()
		return
	default:
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if it := p.restoreRetrying(); it != nil {
			p.idle <- it
		}
	}()
}

// restoreRetrying makes a clone, retrying with back-off; nil once closing.
func (p *Pool) restoreRetrying() *interp {
	for attempt := 0; ; attempt++ {
		if p.isClosed() {
			return nil
		}
		it, err := p.restore(p.ctx)
		if err == nil {
			if p.isClosed() {
				it.close()
				return nil
			}
			return it
		}
		if p.ctx.Err() != nil {
			return nil // closing
		}
		p.opts.Logger.Error("pyexec: cannot make an interpreter; retrying", "err", err, "attempt", attempt)
		select {
		case <-time.After(time.Duration(min(attempt+1, 10)) * 100 * time.Millisecond):
		case <-p.ctx.Done():
			return nil
		}
	}
}

func (p *Pool) execFresh(ctx context.Context, ec execConfig, code string) (Result, error) {
	if p.isClosed() {
		return Result{}, ErrClosed
	}
	it, err := p.clean(ctx)
	if err != nil {
		return Result{}, err
	}
	defer it.close()
	res, _ := p.run(ctx, ec, it, code)
	return res, nil
}

func (p *Pool) execSession(ctx context.Context, ec execConfig, code string) (Result, error) {
	s, err := p.session(ctx, ec.session)
	if err != nil {
		return Result{}, err
	}
	s.mu.Lock()
	for s.dead { // evicted or reset between lookup and lock: use its successor
		s.mu.Unlock()
		if s, err = p.session(ctx, ec.session); err != nil {
			return Result{}, err
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.it == nil { // replaced after a failure
		if s.it, err = p.clean(ctx); err != nil {
			return Result{}, err
		}
	}
	res, keep := p.run(ctx, ec, s.it, code)
	if !keep {
		s.it.close()
		s.it = nil
		res.Stderr += "[the session's interpreter was replaced: its state is gone]\n"
	}
	s.used = time.Now()
	return res, nil
}

// session returns the session of id, making it (and evicting the least
// recently used one beyond MaxSessions) if needed.
func (p *Pool) session(ctx context.Context, id string) (*session, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if el, ok := p.sessions[id]; ok {
		p.lru.MoveToFront(el)
		s := el.Value.(*session)
		p.mu.Unlock()
		return s, nil
	}
	s := &session{id: id, used: time.Now()}
	p.sessions[id] = p.lru.PushFront(s)
	var evict []*session
	for p.lru.Len() > p.opts.MaxSessions {
		el := p.lru.Back()
		old := el.Value.(*session)
		p.lru.Remove(el)
		delete(p.sessions, old.id)
		evict = append(evict, old)
	}
	p.mu.Unlock()
	for _, old := range evict {
		old.kill()
	}
	return s, nil
}

// ResetSession drops a session's state: its next call starts clean.
func (p *Pool) ResetSession(id string) {
	p.mu.Lock()
	el, ok := p.sessions[id]
	if ok {
		p.lru.Remove(el)
		delete(p.sessions, id)
	}
	p.mu.Unlock()
	if ok {
		el.Value.(*session).kill()
	}
}

// kill closes the session's interpreter and marks it dead, after any call
// in it has finished.
func (s *session) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = true
	if s.it != nil {
		s.it.close()
		s.it = nil
	}
}

// Sessions is the number of live sessions.
func (p *Pool) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

func (p *Pool) janitor() {
	defer p.wg.Done()
	t := time.NewTicker(max(p.opts.SessionIdle/10, time.Second))
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		var stale []string
		for id, el := range p.sessions {
			s := el.Value.(*session)
			if s.mu.TryLock() {
				if time.Since(s.used) > p.opts.SessionIdle {
					stale = append(stale, id)
				}
				s.mu.Unlock()
			}
		}
		p.mu.Unlock()
		for _, id := range stale {
			p.ResetSession(id)
		}
	}
}

// run executes code in it and builds the Result; keep is false when the
// interpreter must be discarded.
func (p *Pool) run(ctx context.Context, ec execConfig, it *interp, code string) (Result, bool) {
	if err := p.putFiles(it, ec.files); err != nil {
		return Result{Stderr: "Error: " + err.Error() + "\n", ReturnCode: 1, Failure: FailException}, true
	}
	if ec.memory > 0 {
		if err := it.inst.SetMemoryLimit(ec.memory); err != nil {
			return Result{Stderr: "Error: per-call memory limits need copy-on-write snapshots (Linux memfd)\n",
				ReturnCode: -1, Failure: FailCrash}, true
		}
	}
	res, keep := p.runCode(ctx, ec, it, code)
	if ec.memory > 0 {
		if res.Failure == FailMemory {
			res.Stderr += fmt.Sprintf("[memory limit of this call: %d MiB]\n", ec.memory>>20)
		}
		if keep {
			it.inst.SetMemoryLimit(0)
		}
	}
	if sc := it.inst.Scratch(); sc != nil {
		if sc.Full() {
			res.Stderr += fmt.Sprintf("[/tmp is full: its cap is %d bytes]\n", sc.Cap())
		}
		res.Files = p.getFiles(sc, ec.outFiles)
	}
	return res, keep
}

// scratchPath maps a file name given by a caller to its host path in the
// scratch directory, refusing anything that is not inside it.
func scratchPath(sc *sandbox.Scratch, name string) (string, error) {
	rel := strings.TrimPrefix(name, "/tmp/")
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("file name %q is not inside /tmp", name)
	}
	return filepath.Join(sc.Dir, rel), nil
}

func (p *Pool) putFiles(it *interp, files map[string][]byte) error {
	if len(files) == 0 {
		return nil
	}
	sc := it.inst.Scratch()
	var total int64
	for _, b := range files {
		total += int64(len(b))
	}
	if total > p.opts.ScratchSize {
		return fmt.Errorf("input files of %d bytes exceed /tmp's cap of %d bytes", total, p.opts.ScratchSize)
	}
	for name, b := range files {
		hp, err := scratchPath(sc, name)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(hp, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pool) getFiles(sc *sandbox.Scratch, names []string) map[string][]byte {
	if len(names) == 0 {
		return nil
	}
	out := map[string][]byte{}
	for _, name := range names {
		hp, err := scratchPath(sc, name)
		if err != nil {
			continue
		}
		st, err := os.Lstat(hp)
		if err != nil || !st.Mode().IsRegular() || st.Size() > p.opts.FileCap {
			continue
		}
		if b, err := os.ReadFile(hp); err == nil {
			out[strings.TrimPrefix(name, "/tmp/")] = b
		}
	}
	return out
}

// runCode executes code and builds the Result.
func (p *Pool) runCode(ctx context.Context, ec execConfig, it *interp, code string) (Result, bool) {
	raw, err := it.exec(ctx, code, p.opts.OutputCap)
	fdOut, outCut := it.stdout.Take()
	fdErr, errCut := it.stderr.Take()
	if err != nil {
		res := Result{Stdout: string(fdOut), Stderr: string(fdErr), ReturnCode: -1}
		var exit *sandbox.ExitError
		switch {
		case errors.Is(err, sandbox.ErrDeadline) || ctx.Err() != nil:
			res.Failure = FailTimeout
			res.Stderr += fmt.Sprintf("Code execution timed out after %v - interpreter replaced\n", ec.timeout)
		case errors.As(err, &exit):
			res.Failure = FailExit
			res.ReturnCode = int(exit.Code)
		case errors.Is(err, errGuestMemory):
			res.Failure = FailMemory
			res.Stderr += fmt.Sprintf("Error: out of memory (limit %d MiB) - interpreter replaced\n", p.opts.MemoryLimit>>20)
		default:
			res.Failure = FailCrash
			res.Stderr += fmt.Sprintf("Error: the interpreter crashed (%v) - interpreter replaced\n", err)
		}
		return res, false
	}
	res := Result{
		Stdout: string(raw.stdout) + string(fdOut),
		Stderr: string(raw.stderr) + string(fdErr),
	}
	keep := true
	switch raw.kind {
	case kindOK:
		res.Success = res.Stderr == ""
	case kindException:
		res.Failure, res.ReturnCode = FailException, 1
	case kindExit:
		res.Failure, res.ReturnCode = FailExit, int(raw.code)
		keep = false // TorchRL loses the slot; we replace it
	case kindMemory:
		res.Failure, res.ReturnCode = FailMemory, 1
		keep = false
	}
	if raw.stdoutCut || raw.stderrCut || outCut || errCut {
		if res.Failure == FailNone {
			res.Failure = FailOutputCap
		}
		res.Success = false
		res.Stderr += fmt.Sprintf("[output truncated: more than %d characters per stream]\n", p.opts.OutputCap)
	}
	return res, keep
}

// Close stops the pool and frees its interpreters.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	sessions := p.sessions
	p.sessions = map[string]*list.Element{}
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	for _, el := range sessions {
		el.Value.(*session).kill()
	}
	for {
		select {
		case it := <-p.idle:
			it.close()
		case it := <-p.spares:
			it.close()
		default:
			return nil
		}
	}
}

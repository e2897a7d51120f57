package pyexec

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sandhost/sandhost/internal/threadprio"
	"github.com/sandhost/sandhost/registry"
	"github.com/sandhost/sandhost/sandbox"
)

// Pool is a pool of ready interpreters. It is safe for concurrent use.
type Pool struct {
	opts Options
	art  Artefacts
	rt   *sandbox.Runtime // the pool's own: Close closes it and all it compiled
	mod  *sandbox.Module
	// modNoData is mod without data segments, for instances made from the
	// copy-on-write snapshot (nil: use mod and re-map after instantiation).
	modNoData *sandbox.Module
	snap      *snapshot

	gate     queue[struct{}] // the Size run slots: a call runs holding one
	isolated queue[*interp]  // the default model's interpreters (Size, made at start)
	shared   queue[*interp]  // TorchRL's shared mode's (made on first use, up to Size)
	spares   chan *interp    // clean interpreters, never used, ready to hand out
	yield    *yielder        // lowers the priority of calls that ran long

	mu         sync.Mutex
	sessions   map[string]*list.Element // of *session, most recent first
	lru        *list.List
	closed     bool
	sharedMade int             // shared interpreters made (in use, free or being replaced)
	ctx        context.Context // ends at Close, stopping calls in flight
	cancel     context.CancelFunc
	calls      sync.WaitGroup // calls in flight
	wg         sync.WaitGroup // background work: clones, closes, expiry
}

// ErrClosed: the pool was closed.
var ErrClosed = errors.New("pyexec: pool closed")

// NewPool starts a pool: it compiles python.wasm (from the on-disk cache
// when warm), starts one interpreter, snapshots it, and clones the others
// from the snapshot.
func NewPool(ctx context.Context, opts Options) (*Pool, error) {
	opts.defaults()
	ensureThreads(opts.Size + opts.maxAside())
	art, err := opts.artefacts()
	if err != nil {
		return nil, err
	}
	if err := checkMemoryLimit(art, opts.MemoryLimit); err != nil {
		return nil, err
	}
	for _, m := range opts.Mounts {
		st, err := os.Stat(m.HostDir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%w: mount %s: does not exist", registry.ErrInvalid, m.HostDir)
		case err != nil:
			return nil, fmt.Errorf("pyexec: mount %s: %w", m.HostDir, err)
		case !st.IsDir():
			return nil, fmt.Errorf("%w: mount %s: not a directory", registry.ErrInvalid, m.HostDir)
		}
	}
	engine := opts.Engine
	if engine == "" {
		engine = sandbox.DefaultEngine
	}
	// Scratch directories a killed host left hold their files in memory
	// until someone removes them.
	if n, err := sandbox.SweepScratch(); err != nil {
		opts.Logger.Warn("pyexec: removing scratch directories of processes gone", "removed", n, "err", err)
	} else if n > 0 {
		opts.Logger.Info("pyexec: removed scratch directories of processes gone", "removed", n)
	}
	rt, err := sandbox.NewRuntime(ctx, sandbox.WithEngine(engine), sandbox.WithMemoryLimit(opts.MemoryLimit),
		sandbox.WithLogger(opts.Logger))
	if err != nil {
		return nil, err
	}
	p := &Pool{opts: opts, art: art, rt: rt, spares: make(chan *interp, opts.Spares), yield: newYielder(opts.YieldAfter, opts.maxAside(), len(opts.Mounts) == 0, threadprio.MayRaise(), opts.Logger),
		sessions: map[string]*list.Element{}, lru: list.New()}
	p.isolated.drop, p.shared.drop = (*interp).close, (*interp).close
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if err := p.start(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// checkMemoryLimit refuses a limit below the module's initial memory, which
// no interpreter can start under (the engines' own error names pages and
// a wasm section).
func checkMemoryLimit(art Artefacts, limit int64) error {
	wasm, err := os.ReadFile(art.Wasm)
	if err != nil {
		return err
	}
	least, err := sandbox.MinMemory(wasm)
	if err != nil {
		return fmt.Errorf("pyexec: %s: %w", art.Wasm, err)
	}
	if limit < least {
		return fmt.Errorf("%w: memory limit %s is below the %s an interpreter needs at least (python.wasm's initial memory)",
			registry.ErrInvalid, sizeText(limit), sizeText(least))
	}
	return nil
}

// start makes the snapshot and the shared interpreters, and starts the
// background work.
func (p *Pool) start(ctx context.Context) error {
	var err error
	if p.mod, err = p.compile(ctx, false); err != nil {
		return err
	}
	first, err := p.coldStart(ctx)
	if err != nil {
		return err
	}
	if err := first.warmUp(ctx, p.opts.Preload); err != nil {
		first.close()
		return err
	}
	p.snap, err = p.takeSnapshot(ctx, first)
	if err != nil {
		first.close()
		return err
	}
	if p.snap.cow != nil {
		if p.modNoData, err = p.compile(ctx, true); err != nil {
			p.opts.Logger.Warn("no data-less module variant; snapshot instances re-map their data pages", "err", err)
			p.modNoData = nil
		}
		p.learnPrefault(ctx)
		// Every interpreter a clone, the first one too, so that all of
		// them have memory the sandbox manages (per-call memory limits).
		first.close()
		if first, err = p.clone(ctx); err != nil {
			return err
		}
	}
	for range p.opts.Size {
		p.gate.put(struct{}{})
	}
	p.isolated.put(first)
	var wg sync.WaitGroup
	errs := make(chan error, p.opts.Size)
	for range p.opts.Size - 1 {
		wg.Go(func() {
			it, err := p.clone(ctx)
			if err != nil {
				errs <- err
				return
			}
			p.isolated.put(it)
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	for range p.opts.Spares {
		p.cloneLater(p.addSpare)
	}
	p.background(p.expireSessions)
	return nil
}

// Execute runs code with the settings opts give (see Request) and reports
// its outcome. Failures of the code are in the Result; the error is for the
// pool itself (closed, or no interpreter could be made).
func (p *Pool) Execute(ctx context.Context, code string, opts ...ExecOption) (Result, error) {
	req := Request{Code: code}
	for _, o := range opts {
		o(&req)
	}
	return p.Run(ctx, req)
}

// Run runs one Request (see Execute).
func (p *Pool) Run(ctx context.Context, req Request) (Result, error) {
	if !p.enter() {
		return Result{}, ErrClosed
	}
	defer p.calls.Done()
	if req.Reset {
		p.ResetSession(req.Session)
		return Result{Success: true, Passed: true}, nil
	}
	if req.Timeout <= 0 {
		req.Timeout = p.opts.Timeout
	}
	if !utf8.ValidString(req.Code) {
		return Result{Stderr: "Error: code is not valid UTF-8\n", ReturnCode: 1, Failure: FailException}, nil
	}
	c := &call{req: req, came: time.Now()}
	// The call's own deadline starts once it has a run slot and an
	// interpreter (see admit.go), unless it covers the wait too: then it
	// counts from when the call came, so that a call that gave up waiting
	// was queued its whole timeout.
	var cancel context.CancelFunc
	if req.TimeoutCoversQueue {
		ctx, cancel = context.WithDeadlineCause(ctx, c.came.Add(req.Timeout), errQueueTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	defer context.AfterFunc(p.ctx, cancel)() // Close stops the call
	var (
		res Result
		err error
	)
	switch {
	case req.Session != "":
		res, err = p.execSession(ctx, c)
	case req.Fresh:
		res, err = p.execFresh(ctx, c)
	case req.Shared:
		res, err = p.execPooled(ctx, c, &p.shared, false)
	default:
		res, err = p.execPooled(ctx, c, &p.isolated, true)
	}
	if c.ran.IsZero() {
		res.Queued = time.Since(c.came)
	} else {
		res.Queued, res.Duration = c.ran.Sub(c.came), time.Since(c.ran)
	}
	if err == nil && p.ctx.Err() != nil && (res.Failure == FailTimeout || res.Failure == FailQueued) {
		return Result{}, ErrClosed // stopped by Close, not by its deadline
	}
	return res, err
}

// enter counts a call in, unless the pool is closed.
func (p *Pool) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.calls.Add(1)
	return true
}

// background runs f on its own goroutine, which Close waits for; once the
// pool is closed it runs nothing and returns false.
func (p *Pool) background(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Go(f)
	return true
}

// discard closes an interpreter that must not serve again, off the
// caller's path: a call returns once its guest stopped, not after its
// interpreter's memory and /tmp are freed.
func (p *Pool) discard(it *interp) {
	p.afterStop(it, func() {
		if !p.background(it.close) {
			it.close()
		}
	})
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Close stops the pool: waiting callers get ErrClosed, calls in flight are
// stopped (they return ErrClosed), and everything the pool made is freed:
// interpreters, the snapshot and the runtime with its compiled code.
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
	p.gate.close()
	for _, it := range append(p.isolated.close(), p.shared.close()...) {
		it.close()
	}
	p.calls.Wait()
	p.wg.Wait()
	for _, el := range sessions {
		p.kill(el.Value.(*session))
	}
	close(p.spares)
	for it := range p.spares {
		it.close()
	}
	var err error
	if p.snap != nil && p.snap.cow != nil {
		err = p.snap.cow.Close()
	}
	return errors.Join(err, p.rt.Close(context.Background()))
}

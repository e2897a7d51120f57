package pyexec

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sandhost/sandhost/sandbox"
)

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
	if err := first.warmUp(ctx); err != nil {
		first.close()
		return nil, err
	}
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
		if first, err = p.clone(ctx); err != nil {
			return nil, err
		}
	}
	p.idle <- first
	var wg sync.WaitGroup
	errs := make(chan error, opts.Size)
	for range opts.Size - 1 {
		wg.Go(func() {
			it, err := p.clone(ctx)
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
		p.cloneLater(p.spares)
	}
	p.wg.Add(1)
	go p.expireSessions()
	return p, nil
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
	if req.Reset {
		p.ResetSession(req.Session)
		return Result{Success: true}, nil
	}
	if req.Timeout <= 0 {
		req.Timeout = p.opts.Timeout
	}
	if !utf8.ValidString(req.Code) {
		return Result{Stderr: "Error: code is not valid UTF-8\n", ReturnCode: 1, Failure: FailException}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	t0 := time.Now()
	var (
		res Result
		err error
	)
	switch {
	case req.Session != "":
		res, err = p.execSession(ctx, req)
	case req.Fresh:
		res, err = p.execFresh(ctx, req)
	default:
		res, err = p.execShared(ctx, req)
	}
	res.Duration = time.Since(t0)
	return res, err
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
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

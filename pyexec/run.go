package pyexec

import (
	"context"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// run executes one call's code in it, with the call's files and memory
// limit, and builds its Result; keep is false when the interpreter must be
// discarded. isolate runs the code in a new __main__ and has the harness
// report whether the call changed what a later call would see.
func (p *Pool) run(ctx context.Context, c *call, it *interp, isolate bool) (res Result, keep bool) {
	req := c.req
	if err := checkOutputNames(req.OutputFiles); err != nil {
		return Result{Stderr: "Error: " + err.Error() + "\n", ReturnCode: 1, Failure: FailException}, true
	}
	if written, err := p.putFiles(it, req.Files); err != nil {
		// Some files written: the interpreter goes, so that no later call
		// sees part of this call's files.
		return Result{Stderr: "Error: " + err.Error() + "\n", ReturnCode: 1, Failure: FailException}, !written
	}
	if req.Memory > 0 {
		if err := it.inst.SetMemoryLimit(req.Memory); err != nil {
			return Result{Stderr: "Error: per-call memory limits need copy-on-write snapshots (Linux memfd)\n",
				ReturnCode: -1, Failure: FailCrash}, true
		}
	}
	var stepAside func() bool // nil: the call does not yield
	if c.aside != nil {
		stepAside = c.stepAside
	}
	out, err := it.execBounded(ctx, p.yield, stepAside, req.Code, p.opts.OutputCap, isolate)
	if err == nil && pastDeadline(ctx) {
		// The guest ended after its deadline, before the stop (which comes
		// from another goroutine) reached it: it ran longer than its timeout
		// all the same, and the verdict must not depend on how soon the
		// stop was scheduled.
		err = sandbox.ErrDeadline
	}
	fdOut, fdErr := it.inst.TakeOutput()
	res, keep = p.classify(ctx, req, out, err, fdOut, fdErr)
	if isolate && keep {
		if sc := it.inst.Scratch(); sc != nil && !sc.Empty() {
			keep = false // the next call would find the file the call left in /tmp
		}
	}
	if req.Memory > 0 {
		if res.Failure == FailMemory {
			res.Stderr += fmt.Sprintf("[memory limit of this call: %s]\n", sizeText(min(req.Memory, p.opts.MemoryLimit)))
		}
		if keep {
			it.inst.SetMemoryLimit(0)
		}
	}
	if sc := it.inst.Scratch(); sc != nil {
		if sc.Full() {
			res.Stderr += fmt.Sprintf("[/tmp is full: its cap is %d bytes]\n", sc.Cap())
		}
		var notes string
		res.Files, notes = p.getFiles(sc, req.OutputFiles)
		if notes != "" {
			// Success promises an empty stderr; the verdict (Passed) is the code's.
			res.Stderr += notes
			res.Success = false
		}
	}
	return res, keep
}

// outgrown says whether it's memory is already larger than a call's limit
// lets it grow to (and than a fresh interpreter's): memory never shrinks,
// so the limit would stop only further growth, and the call could use all
// the memory an earlier call left behind. No limit: one comparison.
func (p *Pool) outgrown(it *interp, limit int64) bool {
	return limit > 0 && int64(it.inst.MemorySize()) > max(limit, int64(p.snap.size))
}

// fit returns it, or, when it outgrew the call's memory limit, a clean
// interpreter that takes its place in q (it is discarded): a grown one
// cannot honour the limit. If none can be made, it goes back to q.
func (p *Pool) fit(ctx context.Context, c *call, it *interp, q *queue[*interp]) (*interp, error) {
	if !p.outgrown(it, c.req.Memory) {
		return it, nil
	}
	clean, err := p.spare(ctx)
	if err != nil {
		if !q.put(it) {
			p.discard(it)
		}
		return nil, err
	}
	p.discard(it)
	return clean, nil
}

// pastDeadline says whether ctx's deadline has passed, whether or not its
// timer has fired yet.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// sizeText is n bytes as a person reads them: whole MiB, or KiB, or bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

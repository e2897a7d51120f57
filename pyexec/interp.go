package pyexec

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandhost/sandhost/sandbox"
)

// interp is one CPython interpreter in its own sandbox instance; what the
// guest writes to fd 1 and 2 itself (os.write, beside sys.stdout) is kept by
// the instance up to the pool's output cap (Instance.TakeOutput).
type interp struct {
	inst *sandbox.Instance
	// stopping is set when a call returned at its deadline before its
	// guest stopped; it closes once the guest has (see execBounded).
	stopping <-chan struct{}
}

// instanceConfig is the same for every instance of a pool (mount order
// included), as a snapshot restored into an instance requires.
func (p *Pool) instanceConfig(start ...string) (sandbox.InstanceConfig, error) {
	mounts := append(p.art.mounts(), p.opts.Mounts...)
	scratch, err := sandbox.NewScratch(p.opts.ScratchSize)
	if err != nil {
		return sandbox.InstanceConfig{}, err
	}
	return sandbox.InstanceConfig{
		Name:      "python",
		Mounts:    mounts,
		Env:       map[string]string{"PYTHONHOME": "/usr/local", "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp", "HOME": "/tmp"},
		OutputCap: p.opts.OutputCap,
		Start:     start,
		Scratch:   scratch,
		Bridge:    p.opts.Services.bridge(), // nil (no /dev/sandhost) unless the code may call services
	}, nil
}

// put copies b into guest memory it allocates.
func (it *interp) put(ctx context.Context, b []byte) (uint32, error) {
	res, err := it.inst.Call(ctx, exportAlloc, uint64(len(b)))
	if err != nil {
		return 0, err
	}
	ptr := uint32(res[0])
	if ptr == 0 || !it.inst.Write(ptr, b) {
		return 0, fmt.Errorf("%w: cannot allocate %d bytes for the code", errGuestMemory, len(b))
	}
	return ptr, nil
}

var errGuestMemory = errors.New("guest out of memory")

// exec runs code, reading at most capBytes of each stream it wrote; an
// error means the interpreter is unusable.
func (it *interp) exec(ctx context.Context, code string, capBytes int, isolate bool) (harnessResult, error) {
	arg := uint64(min(capBytes, capMask))
	if isolate {
		arg |= execIsolate
	}
	ptr, err := it.put(ctx, []byte(code))
	if err != nil {
		return harnessResult{}, err
	}
	res, err := it.inst.Call(ctx, exportExec, uint64(ptr), uint64(len(code)), arg)
	if err != nil {
		return harnessResult{}, err
	}
	rp := uint32(res[0])
	if rp == 0 {
		return harnessResult{}, fmt.Errorf("%w: the harness could not build its result", errGuestMemory)
	}
	out, err := readResult(it.inst.Read, rp, capBytes)
	if err != nil {
		return harnessResult{}, err
	}
	it.inst.Call(ctx, exportFree, uint64(rp))
	it.inst.Call(ctx, exportFree, uint64(ptr))
	return out, nil
}

func (it *interp) close() { it.inst.Close(context.Background()) }

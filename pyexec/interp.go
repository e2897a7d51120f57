package pyexec

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sandhost/sandhost/sandbox"
)

//go:embed harness.py
var harness []byte

const pageSize = 64 << 10

// interp is one CPython interpreter in its own sandbox instance.
type interp struct {
	inst   *sandbox.Instance
	stdout *sandbox.CappedWriter // fd-level writes (os.write), beside sys.stdout
	stderr *sandbox.CappedWriter
}

// rawResult is what the harness returns.
type rawResult struct {
	kind      int32 // 0 ok, 1 exception, 2 SystemExit, 3 MemoryError
	code      int32
	stdoutCut bool
	stderrCut bool
	stdout    []byte
	stderr    []byte
}

const (
	kindOK = iota
	kindException
	kindExit
	kindMemory
)

// snapshot is the linear memory of an interpreter right after start-up, as
// the pages that differ from a blank instance of the module.
type snapshot struct {
	size  uint32
	pages map[uint32][]byte // page index -> contents
	cow   *sandbox.Snapshot // the whole image, mapped copy-on-write; nil where unsupported
}

// instanceConfig is the same for every instance of a pool (mount order
// included), as a snapshot restored into an instance requires.
func (p *Pool) instanceConfig(start ...string) (sandbox.InstanceConfig, *sandbox.CappedWriter, *sandbox.CappedWriter, error) {
	so, se := sandbox.NewCappedWriter(p.opts.OutputCap), sandbox.NewCappedWriter(p.opts.OutputCap)
	mounts := append([]sandbox.Mount{{HostDir: p.art.Stdlib, GuestPath: "/usr/local/lib/python3.13"}}, p.opts.Mounts...)
	scratch, err := sandbox.NewScratch(p.opts.ScratchSize)
	if err != nil {
		return sandbox.InstanceConfig{}, nil, nil, err
	}
	return sandbox.InstanceConfig{
		Name:    "python",
		Mounts:  mounts,
		Env:     map[string]string{"PYTHONHOME": "/usr/local", "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp", "HOME": "/tmp"},
		Stdout:  so,
		Stderr:  se,
		Start:   start,
		Scratch: scratch,
	}, so, se, nil
}

// coldStart instantiates the module and starts CPython (tens of ms).
func (p *Pool) coldStart(ctx context.Context) (*interp, error) {
	ic, so, se, err := p.instanceConfig("_initialize")
	if err != nil {
		return nil, err
	}
	inst, err := p.mod.Instantiate(ctx, ic)
	if err != nil {
		return nil, err
	}
	it := &interp{inst: inst, stdout: so, stderr: se}
	ptr, err := it.put(ctx, harness)
	if err != nil {
		it.close()
		return nil, err
	}
	res, err := inst.Call(ctx, "sandhost_init", uint64(ptr), uint64(len(harness)))
	if err == nil && res[0] != 0 {
		out, _ := se.Take()
		err = fmt.Errorf("CPython start-up failed (%d): %s", res[0], out)
	}
	if err != nil {
		it.close()
		return nil, fmt.Errorf("pyexec: start interpreter: %w", err)
	}
	inst.Call(ctx, "sandhost_free", uint64(ptr))
	so.Take()
	se.Take()
	return it, nil
}

// takeSnapshot records it's memory (it must not have run user code yet).
func (p *Pool) takeSnapshot(ctx context.Context, it *interp) (*snapshot, error) {
	ic, _, _, err := p.instanceConfig()
	if err != nil {
		return nil, err
	}
	blank, err := p.mod.Instantiate(ctx, ic)
	if err != nil {
		return nil, err
	}
	defer blank.Close(ctx)
	size := it.inst.MemorySize()
	full, ok := it.inst.Read(0, size)
	if !ok {
		return nil, errors.New("pyexec: read memory for snapshot")
	}
	base, _ := blank.Read(0, blank.MemorySize())
	s := &snapshot{size: size, pages: map[uint32][]byte{}}
	zero := make([]byte, pageSize)
	for pg := uint32(0); pg < size/pageSize; pg++ {
		cur := full[pg*pageSize : (pg+1)*pageSize]
		ref := zero
		if int(pg+1)*pageSize <= len(base) {
			ref = base[pg*pageSize : (pg+1)*pageSize]
		}
		if !bytes.Equal(cur, ref) {
			s.pages[pg] = cur
		}
	}
	if cow, err := sandbox.NewSnapshot(full); err == nil {
		s.cow = cow
	} else {
		p.opts.Logger.Warn("copy-on-write snapshots unavailable; restoring by copying pages", "err", err)
	}
	return s, nil
}

// restore makes a fresh interpreter from the snapshot: a blank instance
// given the snapshot's pages, with no CPython start-up.
func (p *Pool) restore(ctx context.Context) (*interp, error) {
	s := p.snap
	ic, so, se, err := p.instanceConfig()
	if err != nil {
		return nil, err
	}
	ic.Snapshot = s.cow
	mod := p.mod
	if s.cow != nil && p.modNoData != nil {
		mod = p.modNoData
	}
	inst, err := mod.Instantiate(ctx, ic)
	if err != nil {
		return nil, err
	}
	grown := false
	if cur := inst.MemorySize(); cur < s.size {
		if !inst.Grow((s.size - cur) / pageSize) {
			inst.Close(ctx)
			return nil, fmt.Errorf("pyexec: grow memory to %d bytes: over the memory limit?", s.size)
		}
		grown = true
	}
	if s.cow != nil {
		// Without data segments and growth, the memory already reads as
		// the image; otherwise map it again over what was written.
		if mod == p.modNoData && !grown {
			// nothing to do
		} else if err := inst.RestoreSnapshot(); err != nil {
			inst.Close(ctx)
			return nil, err
		}
	} else {
		for pg, data := range s.pages {
			inst.Write(pg*pageSize, data)
		}
	}
	it := &interp{inst: inst, stdout: so, stderr: se}
	// Clones share the random state made before the snapshot.
	if _, err := inst.Call(ctx, "sandhost_reseed"); err != nil {
		it.close()
		return nil, fmt.Errorf("pyexec: reseed restored interpreter: %w", err)
	}
	return it, nil
}

// put copies b into guest memory it allocates.
func (it *interp) put(ctx context.Context, b []byte) (uint32, error) {
	res, err := it.inst.Call(ctx, "sandhost_alloc", uint64(len(b)))
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

// exec runs code; an error means the interpreter is unusable.
func (it *interp) exec(ctx context.Context, code string, capChars int) (rawResult, error) {
	ptr, err := it.put(ctx, []byte(code))
	if err != nil {
		return rawResult{}, err
	}
	res, err := it.inst.Call(ctx, "sandhost_exec", uint64(ptr), uint64(len(code)), uint64(capChars))
	if err != nil {
		return rawResult{}, err
	}
	rp := uint32(res[0])
	if rp == 0 {
		return rawResult{}, fmt.Errorf("%w: the harness could not build its result", errGuestMemory)
	}
	hdr, ok := it.inst.Read(rp, 4)
	if !ok {
		return rawResult{}, errors.New("pyexec: bad result pointer")
	}
	n := binary.LittleEndian.Uint32(hdr)
	body, ok := it.inst.Read(rp+4, n)
	if !ok {
		return rawResult{}, errors.New("pyexec: bad result length")
	}
	it.inst.Call(ctx, "sandhost_free", uint64(rp))
	it.inst.Call(ctx, "sandhost_free", uint64(ptr))
	return parseResult(body)
}

func parseResult(b []byte) (rawResult, error) {
	var r rawResult
	if len(b) < 16 {
		return r, errors.New("pyexec: short result")
	}
	r.kind = int32(binary.LittleEndian.Uint32(b[0:]))
	r.code = int32(binary.LittleEndian.Uint32(b[4:]))
	flags := binary.LittleEndian.Uint32(b[8:])
	r.stdoutCut, r.stderrCut = flags&1 != 0, flags&2 != 0
	n := binary.LittleEndian.Uint32(b[12:])
	if uint64(16)+uint64(n)+4 > uint64(len(b)) {
		return r, errors.New("pyexec: bad stdout length")
	}
	r.stdout = b[16 : 16+n]
	rest := b[16+n:]
	m := binary.LittleEndian.Uint32(rest)
	if uint64(4)+uint64(m) > uint64(len(rest)) {
		return r, errors.New("pyexec: bad stderr length")
	}
	r.stderr = rest[4 : 4+m]
	return r, nil
}

func (it *interp) close() { it.inst.Close(context.Background()) }

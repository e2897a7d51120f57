package pyexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sandhost/sandhost/sandbox"
)

const pageSize = 64 << 10

// snapshot is the linear memory of an interpreter right after start-up, as
// the pages that differ from a blank instance of the module.
type snapshot struct {
	size  uint32
	pages map[uint32][]byte // page index -> contents
	cow   *sandbox.Snapshot // the whole image, mapped copy-on-write; nil where unsupported
}

// compile compiles python.wasm, or with stripData its variant with an empty
// data section (for instances that start from a snapshot), in the pool's
// runtime (from the on-disk compilation cache when warm).
func (p *Pool) compile(ctx context.Context, stripData bool) (*sandbox.Module, error) {
	wasm, err := os.ReadFile(p.art.Wasm)
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
	return p.rt.Compile(ctx, name, wasm)
}

// coldStart instantiates the module and starts CPython (tens of ms).
func (p *Pool) coldStart(ctx context.Context) (*interp, error) {
	ic, err := p.instanceConfig("_initialize")
	if err != nil {
		return nil, err
	}
	inst, err := p.mod.Instantiate(ctx, ic)
	if err != nil {
		return nil, err
	}
	it := &interp{inst: inst}
	ptr, err := it.put(ctx, harnessSource)
	if err != nil {
		it.close()
		return nil, err
	}
	res, err := inst.Call(ctx, exportInit, uint64(ptr), uint64(len(harnessSource)))
	if err == nil && res[0] != 0 {
		_, stderr := inst.TakeOutput()
		err = fmt.Errorf("CPython start-up failed (%d): %s", res[0], stderr.Kept)
	}
	if err != nil {
		it.close()
		return nil, fmt.Errorf("pyexec: start interpreter: %w", err)
	}
	inst.Call(ctx, exportFree, uint64(ptr))
	inst.TakeOutput()
	return it, nil
}

// warmUp initialises the CPython state that is made lazily (the first
// compile and the first traceback take milliseconds; a NameError's "did you
// mean" imports _suggestions), so that no clone of the snapshot pays for it
// again, and no isolated call is found to have changed sys.modules by
// failing. None leaves anything in __main__.
func (it *interp) warmUp(ctx context.Context, preload []string) error {
	for _, warm := range []string{"pass", "raise ValueError('warm-up')", "warm_up_name_error"} {
		if _, err := it.exec(ctx, warm, 1024, false); err != nil {
			return fmt.Errorf("pyexec: warm up interpreter: %w", err)
		}
	}
	if err := it.preload(ctx, preload); err != nil {
		return err
	}
	// The first isolated call records the state every later one is checked
	// against (the harness's baseline); a second must then find nothing
	// changed, or every isolated call would replace its interpreter.
	for i := range 2 {
		out, err := it.exec(ctx, "pass", 1024, true)
		if err != nil {
			return fmt.Errorf("pyexec: warm up interpreter: %w", err)
		}
		if i == 1 && out.leaked {
			why, _ := it.exec(ctx, "import __sandhost__; print(__sandhost__._why)", 1024, false)
			return fmt.Errorf("pyexec: warm up interpreter: an empty isolated call changed the interpreter: %s", why.stdout)
		}
	}
	if _, err := it.inst.Call(ctx, exportReseed); err != nil {
		return fmt.Errorf("pyexec: warm up interpreter: %w", err)
	}
	it.inst.TakeOutput()
	return nil
}

// preload imports modules before the snapshot (Options.Preload), leaving
// nothing in __main__.
func (it *interp) preload(ctx context.Context, modules []string) error {
	for _, m := range modules {
		if !validModuleName(m) {
			return fmt.Errorf("pyexec: preload %q: not a module name", m)
		}
		out, err := it.exec(ctx, "import importlib; importlib.import_module('"+m+"'); del importlib", 1<<16, false)
		if err != nil {
			return fmt.Errorf("pyexec: preload %s: %w", m, err)
		}
		if out.kind != resultOK {
			_, stderr := it.inst.TakeOutput()
			return fmt.Errorf("pyexec: preload %s: %s%s", m, out.stderr, stderr.Kept)
		}
	}
	return nil
}

// validModuleName is a dotted Python identifier (ASCII), nothing to quote.
func validModuleName(name string) bool {
	for _, part := range strings.Split(name, ".") {
		if part == "" || part[0] >= '0' && part[0] <= '9' {
			return false
		}
		for _, r := range part {
			if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// takeSnapshot records it's memory (it must not have run user code yet).
func (p *Pool) takeSnapshot(ctx context.Context, it *interp) (*snapshot, error) {
	ic, err := p.instanceConfig()
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

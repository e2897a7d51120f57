package cuda

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// JIT options of cuModuleLoadDataEx (CUjit_option).
const (
	jitInfoLogBuffer      = 3
	jitInfoLogBufferSize  = 4
	jitErrorLogBuffer     = 5
	jitErrorLogBufferSize = 6
	jitLogVerbose         = 12
)

// Module is PTX compiled by the driver for the context's device.
type Module struct {
	d      *Driver
	handle uintptr
	// InfoLog is the JIT compiler's report (registers, shared memory, spills
	// per kernel).
	InfoLog string
}

// LoadModule compiles PTX text; a compile error carries the JIT's log.
func (g *Current) LoadModule(ptx string) (*Module, error) {
	image := append([]byte(ptx), 0)
	infoLog := make([]byte, 16<<10)
	errLog := make([]byte, 16<<10)
	opts := []int32{jitInfoLogBuffer, jitInfoLogBufferSize, jitErrorLogBuffer, jitErrorLogBufferSize, jitLogVerbose}
	values := []uintptr{
		uintptr(unsafe.Pointer(&infoLog[0])), uintptr(len(infoLog)),
		uintptr(unsafe.Pointer(&errLog[0])), uintptr(len(errLog)),
		1,
	}
	m := &Module{d: g.d}
	code := g.d.moduleLoadDataEx(&m.handle, &image[0], uint32(len(opts)), &opts[0], &values[0])
	runtime.KeepAlive(infoLog)
	runtime.KeepAlive(errLog)
	runtime.KeepAlive(image)
	if err := g.d.check("cuModuleLoadDataEx", code); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, cLog(errLog))
	}
	m.InfoLog = cLog(infoLog)
	return m, nil
}

func cLog(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

// Unload frees the module; its functions must not be launched after.
func (g *Current) Unload(m *Module) error {
	if m == nil || m.handle == 0 {
		return nil
	}
	err := g.d.check("cuModuleUnload", g.d.moduleUnload(m.handle))
	m.handle = 0
	return err
}

// Function is a kernel of a loaded module.
type Function struct {
	name   string
	handle uintptr
}

// Function looks up the kernel called name (its .entry name in the PTX).
func (g *Current) Function(m *Module, name string) (Function, error) {
	f := Function{name: name}
	if err := g.d.check("cuModuleGetFunction("+name+")", g.d.moduleGetFunction(&f.handle, m.handle, name)); err != nil {
		return Function{}, err
	}
	return f, nil
}

// Dim3 is a grid or block size.
type Dim3 struct{ X, Y, Z uint32 }

// Launch starts f on the default stream with the given arguments, in the
// kernel's parameter order: DevicePtr, uint32, int32 or float32 each.
// Launches are asynchronous: errors in the kernel show at the next
// Synchronize or copy.
func (g *Current) Launch(f Function, grid, block Dim3, args ...any) error {
	// The driver reads each argument through a pointer; the slots are
	// pinned so that what it reads is what we wrote.
	var pin runtime.Pinner
	defer pin.Unpin()
	params := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		var p unsafe.Pointer
		switch v := a.(type) {
		case DevicePtr:
			s := new(uint64)
			*s = uint64(v)
			p = unsafe.Pointer(s)
		case uint32:
			s := new(uint32)
			*s = v
			p = unsafe.Pointer(s)
		case int32:
			s := new(int32)
			*s = v
			p = unsafe.Pointer(s)
		case float32:
			s := new(float32)
			*s = v
			p = unsafe.Pointer(s)
		default:
			return fmt.Errorf("cuda: launch %s: argument %d has unsupported type %T", f.name, i, a)
		}
		pin.Pin(p)
		params[i] = p
	}
	var pp *unsafe.Pointer
	if len(params) > 0 {
		pin.Pin(&params[0])
		pp = &params[0]
	}
	code := g.d.launchKernel(f.handle, max(grid.X, 1), max(grid.Y, 1), max(grid.Z, 1),
		max(block.X, 1), max(block.Y, 1), max(block.Z, 1), 0, 0, pp, nil)
	return g.d.check("cuLaunchKernel("+f.name+")", code)
}

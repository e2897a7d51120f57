package cuda

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// ErrClosed is returned by a Context used after Close.
var ErrClosed = errors.New("cuda: context closed")

// Context is a hold on one device's primary context (the one the CUDA
// runtime shares with every library in the process; holding it is a
// reference count, not a second context's memory). Work on it is
// serialised: one [Context.Do] at a time.
type Context struct {
	d      *Driver
	dev    int32
	handle uintptr

	mu     sync.Mutex
	closed bool
}

// Open retains device ordinal's primary context.
func (d *Driver) Open(ordinal int) (*Context, error) {
	if ordinal < 0 || ordinal >= d.deviceCount {
		return nil, fmt.Errorf("cuda: device %d: the driver found %d", ordinal, d.deviceCount)
	}
	c := &Context{d: d}
	if err := d.check("cuDeviceGet", d.deviceGet(&c.dev, int32(ordinal))); err != nil {
		return nil, err
	}
	if err := d.check("cuDevicePrimaryCtxRetain", d.primaryCtxRetain(&c.handle, c.dev)); err != nil {
		return nil, err
	}
	return c, nil
}

// Do runs fn with the context current on a locked OS thread (the driver's
// current context is per thread, and a goroutine may change threads), after
// every earlier Do on this context has returned.
func (c *Context) Do(fn func(*Current) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := c.d.check("cuCtxPushCurrent", c.d.ctxPushCurrent(c.handle)); err != nil {
		return err
	}
	var popped uintptr
	defer c.d.ctxPopCurrent(&popped)
	return fn(&Current{d: c.d})
}

// Close releases the primary context; what was allocated in it must have
// been freed first. Close waits for a Do in progress.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.d.check("cuDevicePrimaryCtxRelease", c.d.primaryCtxRelease(c.dev))
}

// Current is a context made current by [Context.Do]; it is valid only
// inside the function Do runs.
type Current struct {
	d *Driver
}

// DevicePtr is an address in device memory.
type DevicePtr uint64

// Alloc allocates size bytes of device memory.
func (g *Current) Alloc(size int) (DevicePtr, error) {
	var p uint64
	if err := g.d.check(fmt.Sprintf("cuMemAlloc(%d bytes)", size), g.d.memAlloc(&p, uint64(size))); err != nil {
		return 0, err
	}
	return DevicePtr(p), nil
}

// Free frees memory from Alloc; Free(0) does nothing.
func (g *Current) Free(p DevicePtr) error {
	if p == 0 {
		return nil
	}
	return g.d.check("cuMemFree", g.d.memFree(uint64(p)))
}

// MemInfo is the device's free and total memory in bytes.
func (g *Current) MemInfo() (free, total uint64, err error) {
	err = g.d.check("cuMemGetInfo", g.d.memGetInfo(&free, &total))
	return free, total, err
}

// Synchronize waits for all work launched in the context.
func (g *Current) Synchronize() error {
	return g.d.check("cuCtxSynchronize", g.d.ctxSynchronize())
}

// Element is a type copied between host and device as is.
type Element interface{ ~float32 | ~int32 }

// CopyToDevice copies src to dst (synchronously).
func CopyToDevice[T Element](g *Current, dst DevicePtr, src []T) error {
	if len(src) == 0 {
		return nil
	}
	n := uint64(len(src)) * uint64(unsafe.Sizeof(src[0]))
	return g.d.check("cuMemcpyHtoD", g.d.memcpyHtoD(uint64(dst), (*byte)(unsafe.Pointer(&src[0])), n))
}

// CopyFromDevice copies len(dst) elements from src to dst (synchronously,
// so it also waits for the kernels launched before it).
func CopyFromDevice[T Element](g *Current, dst []T, src DevicePtr) error {
	if len(dst) == 0 {
		return nil
	}
	n := uint64(len(dst)) * uint64(unsafe.Sizeof(dst[0]))
	return g.d.check("cuMemcpyDtoH", g.d.memcpyDtoH((*byte)(unsafe.Pointer(&dst[0])), uint64(src), n))
}

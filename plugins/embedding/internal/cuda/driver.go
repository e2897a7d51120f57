// Package cuda is a small binding of the CUDA driver API, loaded at run time
// from libcuda.so.1 with purego: no CUDA toolkit and no cgo at build time, and
// a binary that runs (on its CPU path) where no driver is installed.
//
// It binds only what the embedding service needs: devices, primary contexts,
// device memory, synchronous copies, PTX modules and kernel launches. Every
// call that needs a current context must run inside [Context.Do].
package cuda

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrNoDriver means libcuda.so.1 could not be loaded or initialised: no
// NVIDIA driver is installed, or it does not work here.
var ErrNoDriver = errors.New("cuda: driver not available")

// libraryName is the driver's soname; the unversioned libcuda.so belongs to
// the toolkit's development files and is often absent on GPU hosts.
const libraryName = "libcuda.so.1"

// Driver holds the driver API's entry points. There is one per process.
type Driver struct {
	init                 func(flags uint32) int32
	driverGetVersion     func(v *int32) int32
	deviceGetCount       func(n *int32) int32
	deviceGet            func(dev *int32, ordinal int32) int32
	deviceGetName        func(name *byte, n int32, dev int32) int32
	deviceTotalMem       func(bytes *uint64, dev int32) int32
	primaryCtxRetain     func(ctx *uintptr, dev int32) int32
	primaryCtxRelease    func(dev int32) int32
	ctxPushCurrent       func(ctx uintptr) int32
	ctxPopCurrent        func(ctx *uintptr) int32
	ctxSynchronize       func() int32
	memAlloc             func(ptr *uint64, size uint64) int32
	memFree              func(ptr uint64) int32
	memGetInfo           func(free, total *uint64) int32
	memcpyHtoD           func(dst uint64, src *byte, n uint64) int32
	memcpyDtoH           func(dst *byte, src uint64, n uint64) int32
	moduleLoadDataEx     func(mod *uintptr, image *byte, nopts uint32, opts *int32, values *uintptr) int32
	moduleUnload         func(mod uintptr) int32
	moduleGetFunction    func(fn *uintptr, mod uintptr, name string) int32
	launchKernel         func(fn uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params *unsafe.Pointer, extra *unsafe.Pointer) int32
	getErrorName         func(code int32, s **byte) int32
	getErrorString       func(code int32, s **byte) int32
	deviceCount, version int
}

// The driver is process-wide by nature (dlopen returns one handle, cuInit
// initialises the process), so it is loaded once and kept.
var (
	loadOnce sync.Once
	loaded   *Driver
	loadErr  error
)

// Load loads and initialises the driver once per process. Its error wraps
// ErrNoDriver when there is no usable driver.
func Load() (*Driver, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

func load() (d *Driver, err error) {
	lib, err := purego.Dlopen(libraryName, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		// dlerror is per thread: read on another one, its text is empty
		// (1 run in 3 under -race), so the library is named here.
		why := err.Error()
		if why == "" {
			why = "dlopen failed"
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrNoDriver, libraryName, strings.TrimPrefix(why, libraryName+": "))
	}
	// RegisterLibFunc panics on a missing symbol: a driver too old for the
	// _v2 entry points (CUDA < 4.0) is reported, not fatal.
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("%w: %s: %v", ErrNoDriver, libraryName, r)
		}
	}()
	d = &Driver{}
	for name, fn := range map[string]any{
		"cuInit":                       &d.init,
		"cuDriverGetVersion":           &d.driverGetVersion,
		"cuDeviceGetCount":             &d.deviceGetCount,
		"cuDeviceGet":                  &d.deviceGet,
		"cuDeviceGetName":              &d.deviceGetName,
		"cuDeviceTotalMem_v2":          &d.deviceTotalMem,
		"cuDevicePrimaryCtxRetain":     &d.primaryCtxRetain,
		"cuDevicePrimaryCtxRelease_v2": &d.primaryCtxRelease,
		"cuCtxPushCurrent_v2":          &d.ctxPushCurrent,
		"cuCtxPopCurrent_v2":           &d.ctxPopCurrent,
		"cuCtxSynchronize":             &d.ctxSynchronize,
		"cuMemAlloc_v2":                &d.memAlloc,
		"cuMemFree_v2":                 &d.memFree,
		"cuMemGetInfo_v2":              &d.memGetInfo,
		"cuMemcpyHtoD_v2":              &d.memcpyHtoD,
		"cuMemcpyDtoH_v2":              &d.memcpyDtoH,
		"cuModuleLoadDataEx":           &d.moduleLoadDataEx,
		"cuModuleUnload":               &d.moduleUnload,
		"cuModuleGetFunction":          &d.moduleGetFunction,
		"cuLaunchKernel":               &d.launchKernel,
		"cuGetErrorName":               &d.getErrorName,
		"cuGetErrorString":             &d.getErrorString,
	} {
		purego.RegisterLibFunc(fn, lib, name)
	}
	if err := d.check("cuInit", d.init(0)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoDriver, err)
	}
	var v, n int32
	if err := d.check("cuDriverGetVersion", d.driverGetVersion(&v)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoDriver, err)
	}
	if err := d.check("cuDeviceGetCount", d.deviceGetCount(&n)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoDriver, err)
	}
	d.version, d.deviceCount = int(v), int(n)
	return d, nil
}

// DeviceCount is the number of CUDA devices the driver found at Load.
func (d *Driver) DeviceCount() int { return d.deviceCount }

// Version is the driver's CUDA version, e.g. 13000 for 13.0.
func (d *Driver) Version() int { return d.version }

// DeviceName is the name of device ordinal, e.g. "NVIDIA H200".
func (d *Driver) DeviceName(ordinal int) (string, error) {
	var dev int32
	if err := d.check("cuDeviceGet", d.deviceGet(&dev, int32(ordinal))); err != nil {
		return "", err
	}
	buf := make([]byte, 256)
	if err := d.check("cuDeviceGetName", d.deviceGetName(&buf[0], int32(len(buf)), dev)); err != nil {
		return "", err
	}
	for i, b := range buf {
		if b == 0 {
			return string(buf[:i]), nil
		}
	}
	return string(buf), nil
}

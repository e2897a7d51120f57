package cuda

import (
	"fmt"
	"unsafe"
)

// Result codes the callers test for.
const (
	codeOutOfMemory = 2
)

// Error is a failed driver call: the operation, the CUresult and the
// driver's own name and description of it.
type Error struct {
	Op          string
	Code        int
	Name, Descr string
}

func (e *Error) Error() string {
	return fmt.Sprintf("cuda: %s: %s (%d): %s", e.Op, e.Name, e.Code, e.Descr)
}

// OutOfMemory reports whether the call failed for lack of device memory.
func (e *Error) OutOfMemory() bool { return e.Code == codeOutOfMemory }

// check turns a CUresult into nil or an *Error with the driver's strings.
func (d *Driver) check(op string, code int32) error {
	if code == 0 {
		return nil
	}
	e := &Error{Op: op, Code: int(code), Name: "CUDA_ERROR_UNKNOWN", Descr: "unknown error"}
	var s *byte
	if d.getErrorName(code, &s) == 0 && s != nil {
		e.Name = cString(s)
	}
	s = nil
	if d.getErrorString(code, &s) == 0 && s != nil {
		e.Descr = cString(s)
	}
	return e
}

// cString copies a NUL-terminated string owned by the driver.
func cString(p *byte) string {
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

package pyexec

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/sandhost/sandhost/sandbox"
)

// The host↔harness protocol, described here once. The C side is
// wasm/python/sandhost_embed.c (the exports), the Python side harness.py
// (what runs the code); the constants the harness needs are sent to it from
// this file (harnessSource), so the two cannot disagree.
//
// python.wasm exports five functions. The host never talks to the guest over
// stdin/stdout, so nothing user code prints, reads or writes can reach this
// channel:
//
//	sandhost_init(ptr, len) -> i32      start CPython once and run the harness
//	                                    source (UTF-8, len bytes at ptr) as
//	                                    module __sandhost__; 0 on success, else
//	                                    1 (CPython did not start), 2 (no
//	                                    module), 3 (the harness raised) or 4
//	                                    (it lacks _run or _reseed); the reason
//	                                    is on fd 2
//	sandhost_alloc(n) -> ptr            guest malloc, for the code; 0 when out
//	sandhost_free(ptr)                  of memory / guest free
//	sandhost_exec(ptr, len, cap) -> ptr run UTF-8 source through the
//	                                    harness's _run(source, cap), capping
//	                                    each stream at cap&capMask bytes, in
//	                                    the persistent __main__, or with
//	                                    execIsolate set in cap, in a new one
//	                                    (the result then says whether the
//	                                    call changed the interpreter's state
//	                                    since the first such call); returns a
//	                                    pointer to [u32 n][n result bytes],
//	                                    freed by the host, or 0 when the
//	                                    harness could not build a result
//	                                    (out of memory)
//	sandhost_reseed() -> i32            the harness's _reseed(): new random
//	                                    state for a clone of the snapshot
//
// A result is, little-endian (struct format resultHeader, then a u32 length
// and the bytes of stderr):
//
//	i32 kind    resultOK, resultException, resultExit (SystemExit or
//	            os._exit inside Python) or resultMemory (MemoryError)
//	i32 code    the exit code for resultExit, 1 for an exception
//	u32 flags   flagStdoutCut | flagStderrCut: the stream was truncated;
//	            flagLeaked: an isolated call left a change a later call
//	            would see (the interpreter must be replaced)
//	u32 n       then n bytes of stdout (UTF-8, cut at a character boundary)
//	u32 m       then m bytes of stderr
//
// The host reads no more than the cap of each stream, whatever n and m say
// (readResult): the harness is a module the code can reach and change.
//
// A pool whose code may call services (Options.Services) gives each
// interpreter the sandbox's bridge file, /dev/sandhost (sandbox.Bridge); the
// harness then installs the module sandhost, and sandhost.call opens the
// file, writes one request and reads its answer while the code runs. Unlike
// the exports, this channel is the code's: whatever it writes there is a
// request like sandhost.call's, checked against the pool's list in Go. A
// request is, little-endian (struct format callHeader, then the bytes):
//
//	u32 s       then s bytes: the service's name (UTF-8)
//	u32 m       then m bytes: the method's name
//	i64 timeout this request's own timeout in nanoseconds (0: none; the
//	            call's deadline applies either way)
//	            then the rest: the arguments, JSON
//
// and its answer (struct format answerHeader):
//
//	i32 status  answerOK (the result, JSON), answerRaw (the result, bytes
//	            that are not JSON), answerRefused (the service is not on the
//	            pool's list: nothing left the sandbox), answerNotFound (no
//	            such service or method), answerFailed (the service's own
//	            error, or a request the host could not read), answerTimeout
//	            (the request's timeout, or the service's, passed)
//	u32 n       then n bytes: the result, or the reason
//
// When the call's own deadline passes, no answer comes: the write fails
// and the guest is stopped (failure "timeout").
const (
	exportInit   = "sandhost_init"
	exportAlloc  = "sandhost_alloc"
	exportFree   = "sandhost_free"
	exportExec   = "sandhost_exec"
	exportReseed = "sandhost_reseed"

	resultHeader = "<iiII" // kind, code, flags, stdout length (Python's struct format)

	flagStdoutCut = 1
	flagStderrCut = 2
	flagLeaked    = 4

	// The cap argument of sandhost_exec carries the isolate bit above the
	// cap (the C side passes the u32 through unchanged).
	execIsolate = 1 << 31
	capMask     = execIsolate - 1

	callHeader   = "<IIq" // service length, method length, timeout (ns)
	answerHeader = "<iI"  // status, length
)

// answerStatus is how a bridged request ended, as the harness reads it.
type answerStatus int32

const (
	answerOK answerStatus = iota
	answerRaw
	answerRefused
	answerNotFound
	answerFailed
	answerTimeout
)

// resultKind is how the code ended, as the harness reports it.
type resultKind int32

const (
	resultOK resultKind = iota
	resultException
	resultExit
	resultMemory
)

//go:embed harness.py
var harness string

// harnessSource is what sandhost_init runs: the protocol's constants, then
// harness.py.
var harnessSource = []byte(fmt.Sprintf("# Sent by the host: the protocol's constants (pyexec/protocol.go).\n"+
	"_KIND_OK, _KIND_EXCEPTION, _KIND_EXIT, _KIND_MEMORY = %d, %d, %d, %d\n"+
	"_FLAG_STDOUT_CUT, _FLAG_STDERR_CUT, _FLAG_LEAKED = %d, %d, %d\n"+
	"_EXEC_ISOLATE = %d\n"+
	"_RESULT_HEADER = %q\n"+
	"_BRIDGE_PATH, _CALL_HEADER, _ANSWER_HEADER = %q, %q, %q\n"+
	"_ANSWER_OK, _ANSWER_RAW, _ANSWER_REFUSED, _ANSWER_NOT_FOUND, _ANSWER_FAILED, _ANSWER_TIMEOUT = %d, %d, %d, %d, %d, %d\n",
	resultOK, resultException, resultExit, resultMemory, flagStdoutCut, flagStderrCut, flagLeaked, execIsolate, resultHeader,
	sandbox.BridgeDir+"/"+sandbox.BridgeName, callHeader, answerHeader,
	answerOK, answerRaw, answerRefused, answerNotFound, answerFailed, answerTimeout) + harness)

// harnessResult is a result as the harness returns it.
type harnessResult struct {
	kind      resultKind
	code      int32
	stdoutCut bool
	stderrCut bool
	leaked    bool
	stdout    []byte
	stderr    []byte
}

// readResult reads the result at rp through read (the guest's memory),
// no more than capBytes of each stream: the lengths are the guest's word,
// and the code can change the harness that writes them (it is the module
// __sandhost__), so a stream longer than the cap is cut there and reported
// cut, whatever the harness says. Nothing else of the result is large.
func readResult(read func(off, n uint32) ([]byte, bool), rp uint32, capBytes int) (harnessResult, error) {
	var r harnessResult
	at := func(off uint64, n uint32) ([]byte, bool) {
		if off+uint64(n) > 1<<32 {
			return nil, false
		}
		return read(uint32(off), n)
	}
	hdr, ok := at(uint64(rp), 4+16)
	if !ok {
		return r, errors.New("pyexec: bad result pointer")
	}
	size := uint64(binary.LittleEndian.Uint32(hdr))
	if size < 16 {
		return r, errors.New("pyexec: short result")
	}
	b := hdr[4:]
	r.kind = resultKind(binary.LittleEndian.Uint32(b[0:]))
	r.code = int32(binary.LittleEndian.Uint32(b[4:]))
	flags := binary.LittleEndian.Uint32(b[8:])
	r.stdoutCut, r.stderrCut, r.leaked = flags&flagStdoutCut != 0, flags&flagStderrCut != 0, flags&flagLeaked != 0
	n := uint64(binary.LittleEndian.Uint32(b[12:]))
	if 16+n+4 > size {
		return r, errors.New("pyexec: bad stdout length")
	}
	off := uint64(rp) + 4 + 16
	var cut bool
	if r.stdout, cut, ok = readStream(at, off, n, capBytes); !ok {
		return r, errors.New("pyexec: bad stdout length")
	}
	r.stdoutCut = r.stdoutCut || cut
	mb, ok := at(off+n, 4)
	if !ok {
		return r, errors.New("pyexec: bad stderr length")
	}
	m := uint64(binary.LittleEndian.Uint32(mb))
	if 16+n+4+m > size {
		return r, errors.New("pyexec: bad stderr length")
	}
	if r.stderr, cut, ok = readStream(at, off+n+4, m, capBytes); !ok {
		return r, errors.New("pyexec: bad stderr length")
	}
	r.stderrCut = r.stderrCut || cut
	return r, nil
}

// readStream reads a stream of n bytes at off, or its first capBytes (cut
// at a character boundary) when it is longer.
func readStream(at func(off uint64, n uint32) ([]byte, bool), off, n uint64, capBytes int) (b []byte, cut, ok bool) {
	k := min(n, uint64(max(capBytes, 0)))
	if b, ok = at(off, uint32(k)); !ok {
		return nil, false, false
	}
	if k < n {
		return wholeChars(b), true, true
	}
	return b, false, true
}

// wholeChars is b without the start of a character cut at its end.
func wholeChars(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

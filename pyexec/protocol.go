package pyexec

import (
	_ "embed"
	"encoding/binary"
	"errors"
)

//go:embed harness.py
var harness []byte

// The exports of python.wasm (wasm/python/sandhost_embed.c).
const (
	exportInit   = "sandhost_init"
	exportAlloc  = "sandhost_alloc"
	exportFree   = "sandhost_free"
	exportExec   = "sandhost_exec"
	exportReseed = "sandhost_reseed"
)

// harnessResult is what the harness returns.
type harnessResult struct {
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

func parseResult(b []byte) (harnessResult, error) {
	var r harnessResult
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

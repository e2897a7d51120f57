// Code generated from bridge_wazy.go by sandbox/internal/wazerogen; DO NOT EDIT.

package sandbox

import (
	"io/fs"
	"path"

	wsys "github.com/tetratelabs/wazero/experimental/sys"
	wstat "github.com/tetratelabs/wazero/sys"
)

// wazeroStat is the engine's stat record (wazero keeps it outside its
// experimental sys package).
type wazeroStat = wstat.Stat_t

// wazeroBridgeFS is the bridge's directory as the guest sees it: the bridge
// file and nothing else, read-only.
type wazeroBridgeFS struct {
	wsys.UnimplementedFS
	b *bridge
}

func newWazeroBridgeFS(b *bridge) wsys.FS { return &wazeroBridgeFS{b: b} }

func (f *wazeroBridgeFS) OpenFile(p string, flag wsys.Oflag, _ fs.FileMode) (wsys.File, wsys.Errno) {
	switch path.Clean(p) {
	case ".":
		return wazeroBridgeDir{}, 0
	case BridgeName:
		return &wazeroBridgeFile{b: f.b}, 0
	}
	if flag&wsys.O_CREAT != 0 {
		return nil, wsys.EROFS
	}
	return nil, wsys.ENOENT
}

func (f *wazeroBridgeFS) Stat(p string) (wazeroStat, wsys.Errno) {
	switch path.Clean(p) {
	case ".":
		return wazeroBridgeDir{}.Stat()
	case BridgeName:
		return (&wazeroBridgeFile{}).Stat()
	}
	return wazeroStat{}, wsys.ENOENT
}

func (f *wazeroBridgeFS) Lstat(p string) (wazeroStat, wsys.Errno) { return f.Stat(p) }

type wazeroBridgeDir struct{ wsys.UnimplementedFile }

func (wazeroBridgeDir) IsDir() (bool, wsys.Errno) { return true, 0 }

func (wazeroBridgeDir) Stat() (wazeroStat, wsys.Errno) {
	return wazeroStat{Mode: fs.ModeDir | 0o555, Nlink: 1}, 0
}

// wazeroBridgeFile is one open bridge file: a write is a request, reads
// return its answer.
type wazeroBridgeFile struct {
	wsys.UnimplementedFile
	b      *bridge
	answer []byte // what is left to read
}

func (f *wazeroBridgeFile) Stat() (wazeroStat, wsys.Errno) {
	return wazeroStat{Mode: fs.ModeDevice | fs.ModeCharDevice | 0o600, Nlink: 1}, 0
}

func (f *wazeroBridgeFile) Write(buf []byte) (int, wsys.Errno) {
	answer, ok := f.b.request(buf)
	if !ok {
		return 0, wsys.EIO
	}
	f.answer = answer
	return len(buf), 0
}

func (f *wazeroBridgeFile) Read(buf []byte) (int, wsys.Errno) {
	n := copy(buf, f.answer)
	f.answer = f.answer[n:]
	return n, 0
}

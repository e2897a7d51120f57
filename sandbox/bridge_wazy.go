package sandbox

import (
	"io/fs"
	"path"

	wsys "github.com/samyfodil/wazy/sys"
)

// This file is the one source of both engines' bridge file systems:
// zbridge_wazero.go is generated from it (by internal/wazerogen).

// wazyStat is the engine's stat record (wazero keeps it outside its
// experimental sys package).
type wazyStat = wsys.Stat_t

// wazyBridgeFS is the bridge's directory as the guest sees it: the bridge
// file and nothing else, read-only.
type wazyBridgeFS struct {
	wsys.UnimplementedFS
	b *bridge
}

func newWazyBridgeFS(b *bridge) wsys.FS { return &wazyBridgeFS{b: b} }

func (f *wazyBridgeFS) OpenFile(p string, flag wsys.Oflag, _ fs.FileMode) (wsys.File, wsys.Errno) {
	switch path.Clean(p) {
	case ".":
		return wazyBridgeDir{}, 0
	case BridgeName:
		return &wazyBridgeFile{b: f.b}, 0
	}
	if flag&wsys.O_CREAT != 0 {
		return nil, wsys.EROFS
	}
	return nil, wsys.ENOENT
}

func (f *wazyBridgeFS) Stat(p string) (wazyStat, wsys.Errno) {
	switch path.Clean(p) {
	case ".":
		return wazyBridgeDir{}.Stat()
	case BridgeName:
		return (&wazyBridgeFile{}).Stat()
	}
	return wazyStat{}, wsys.ENOENT
}

func (f *wazyBridgeFS) Lstat(p string) (wazyStat, wsys.Errno) { return f.Stat(p) }

type wazyBridgeDir struct{ wsys.UnimplementedFile }

func (wazyBridgeDir) IsDir() (bool, wsys.Errno) { return true, 0 }

func (wazyBridgeDir) Stat() (wazyStat, wsys.Errno) {
	return wazyStat{Mode: fs.ModeDir | 0o555, Nlink: 1}, 0
}

// wazyBridgeFile is one open bridge file: a write is a request, reads
// return its answer.
type wazyBridgeFile struct {
	wsys.UnimplementedFile
	b      *bridge
	answer []byte // what is left to read
}

func (f *wazyBridgeFile) Stat() (wazyStat, wsys.Errno) {
	return wazyStat{Mode: fs.ModeDevice | fs.ModeCharDevice | 0o600, Nlink: 1}, 0
}

func (f *wazyBridgeFile) Write(buf []byte) (int, wsys.Errno) {
	answer, ok := f.b.request(buf)
	if !ok {
		return 0, wsys.EIO
	}
	f.answer = answer
	return len(buf), 0
}

func (f *wazyBridgeFile) Read(buf []byte) (int, wsys.Errno) {
	n := copy(buf, f.answer)
	f.answer = f.answer[n:]
	return n, 0
}

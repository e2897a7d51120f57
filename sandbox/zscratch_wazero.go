// Code generated from scratch_wazy.go by sandbox/internal/wazerogen; DO NOT EDIT.

package sandbox

import (
	"io"
	"io/fs"
	"path"

	wsys "github.com/tetratelabs/wazero/experimental/sys"
	wsysfs "github.com/tetratelabs/wazero/experimental/sysfs"
)

// wazeroScratchFS is a scratch directory as the guest sees it: writes are
// counted against the cap, links are refused.
type wazeroScratchFS struct {
	wsys.FS
	s *Scratch
}

func newWazeroScratchFS(s *Scratch) wsys.FS {
	return &wazeroScratchFS{FS: wsysfs.DirFS(s.dir), s: s}
}

func (f *wazeroScratchFS) OpenFile(p string, flag wsys.Oflag, perm fs.FileMode) (wsys.File, wsys.Errno) {
	file, errno := f.FS.OpenFile(p, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	n := f.s.open(path.Clean(p))
	if flag&wsys.O_TRUNC != 0 {
		f.s.setSize(n, 0)
	}
	return &wazeroScratchFile{File: file, s: f.s, n: n}, 0
}

func (f *wazeroScratchFS) Unlink(p string) wsys.Errno {
	errno := f.FS.Unlink(p)
	if errno == 0 {
		f.s.forget(p)
	}
	return errno
}

func (f *wazeroScratchFS) Rmdir(p string) wsys.Errno {
	errno := f.FS.Rmdir(p)
	if errno == 0 {
		f.s.forget(p)
	}
	return errno
}

func (f *wazeroScratchFS) Rename(from, to string) wsys.Errno {
	errno := f.FS.Rename(from, to)
	if errno == 0 {
		f.s.rename(from, to)
	}
	return errno
}

// Links could point outside the directory: refused.
func (f *wazeroScratchFS) Symlink(string, string) wsys.Errno { return wsys.EPERM }
func (f *wazeroScratchFS) Link(string, string) wsys.Errno    { return wsys.EPERM }

type wazeroScratchFile struct {
	wsys.File
	s      *Scratch
	n      *scratchNode // followed through renames and unlinks
	closed bool
}

func (f *wazeroScratchFile) Close() wsys.Errno {
	errno := f.File.Close()
	if !f.closed {
		f.closed = true
		f.s.release(f.n)
	}
	return errno
}

func (f *wazeroScratchFile) Write(buf []byte) (int, wsys.Errno) {
	off, errno := f.File.Seek(0, io.SeekCurrent)
	if errno != 0 {
		return 0, errno
	}
	if f.File.IsAppend() {
		st, errno := f.File.Stat()
		if errno != 0 {
			return 0, errno
		}
		off = st.Size
	}
	if !f.s.grow(f.n, off+int64(len(buf))) {
		return 0, wsys.EIO
	}
	return f.File.Write(buf)
}

func (f *wazeroScratchFile) Pwrite(buf []byte, off int64) (int, wsys.Errno) {
	if !f.s.grow(f.n, off+int64(len(buf))) {
		return 0, wsys.EIO
	}
	return f.File.Pwrite(buf, off)
}

func (f *wazeroScratchFile) Truncate(size int64) wsys.Errno {
	if !f.s.grow(f.n, size) {
		return wsys.EIO
	}
	errno := f.File.Truncate(size)
	if errno == 0 {
		f.s.setSize(f.n, size)
	}
	return errno
}

package sandbox

import (
	"io/fs"

	wsys "github.com/samyfodil/wazy/sys"
	wsysfs "github.com/samyfodil/wazy/sysfs"
)

// This file is the one source of both engines' read-only mounts:
// zreadonly_wazero.go is generated from it (by internal/wazerogen).

// wazyReadOnlyFS is a host directory the guest may read but not change.
// The engine's own read-only mount answers a write with ENOSYS (errno 52
// in the guest, a missing system call); a read-only file system
// natively answers EROFS ("Read-only file system"), which code that copes
// with an unwritable place expects.
type wazyReadOnlyFS struct{ wsys.FS }

func newWazyReadOnlyFS(hostDir string) wsys.FS { return &wazyReadOnlyFS{FS: wsysfs.DirFS(hostDir)} }

func (f *wazyReadOnlyFS) OpenFile(p string, flag wsys.Oflag, perm fs.FileMode) (wsys.File, wsys.Errno) {
	switch {
	case flag&(wsys.O_WRONLY|wsys.O_RDWR) != 0 && flag&wsys.O_DIRECTORY != 0:
		return nil, wsys.EISDIR
	case flag&(wsys.O_WRONLY|wsys.O_RDWR|wsys.O_CREAT|wsys.O_TRUNC|wsys.O_APPEND) != 0:
		return nil, wsys.EROFS
	}
	return f.FS.OpenFile(p, flag, perm)
}

func (f *wazyReadOnlyFS) Mkdir(string, fs.FileMode) wsys.Errno    { return wsys.EROFS }
func (f *wazyReadOnlyFS) Chmod(string, fs.FileMode) wsys.Errno    { return wsys.EROFS }
func (f *wazyReadOnlyFS) Rename(string, string) wsys.Errno        { return wsys.EROFS }
func (f *wazyReadOnlyFS) Rmdir(string) wsys.Errno                 { return wsys.EROFS }
func (f *wazyReadOnlyFS) Link(string, string) wsys.Errno          { return wsys.EROFS }
func (f *wazyReadOnlyFS) Symlink(string, string) wsys.Errno       { return wsys.EROFS }
func (f *wazyReadOnlyFS) Unlink(string) wsys.Errno                { return wsys.EROFS }
func (f *wazyReadOnlyFS) Utimens(string, int64, int64) wsys.Errno { return wsys.EROFS }

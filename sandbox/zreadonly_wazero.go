// Code generated from readonly_wazy.go by sandbox/internal/wazerogen; DO NOT EDIT.

package sandbox

import (
	"io/fs"

	wsys "github.com/tetratelabs/wazero/experimental/sys"
	wsysfs "github.com/tetratelabs/wazero/experimental/sysfs"
)

// wazeroReadOnlyFS is a host directory the guest may read but not change.
// The engine's own read-only mount answers a write with ENOSYS (errno 52
// in the guest, a missing system call); a read-only file system
// natively answers EROFS ("Read-only file system"), which code that copes
// with an unwritable place expects.
type wazeroReadOnlyFS struct{ wsys.FS }

func newWazeroReadOnlyFS(hostDir string) wsys.FS { return &wazeroReadOnlyFS{FS: wsysfs.DirFS(hostDir)} }

func (f *wazeroReadOnlyFS) OpenFile(p string, flag wsys.Oflag, perm fs.FileMode) (wsys.File, wsys.Errno) {
	switch {
	case flag&(wsys.O_WRONLY|wsys.O_RDWR) != 0 && flag&wsys.O_DIRECTORY != 0:
		return nil, wsys.EISDIR
	case flag&(wsys.O_WRONLY|wsys.O_RDWR|wsys.O_CREAT|wsys.O_TRUNC|wsys.O_APPEND) != 0:
		return nil, wsys.EROFS
	}
	return f.FS.OpenFile(p, flag, perm)
}

func (f *wazeroReadOnlyFS) Mkdir(string, fs.FileMode) wsys.Errno    { return wsys.EROFS }
func (f *wazeroReadOnlyFS) Chmod(string, fs.FileMode) wsys.Errno    { return wsys.EROFS }
func (f *wazeroReadOnlyFS) Rename(string, string) wsys.Errno        { return wsys.EROFS }
func (f *wazeroReadOnlyFS) Rmdir(string) wsys.Errno                 { return wsys.EROFS }
func (f *wazeroReadOnlyFS) Link(string, string) wsys.Errno          { return wsys.EROFS }
func (f *wazeroReadOnlyFS) Symlink(string, string) wsys.Errno       { return wsys.EROFS }
func (f *wazeroReadOnlyFS) Unlink(string) wsys.Errno                { return wsys.EROFS }
func (f *wazeroReadOnlyFS) Utimens(string, int64, int64) wsys.Errno { return wsys.EROFS }

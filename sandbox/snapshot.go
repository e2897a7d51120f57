package sandbox

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Snapshot is a linear-memory image that new instances start from,
// copy-on-write: it is kept once in an in-memory file, and each instance
// maps it privately, so an idle instance costs only the pages it has
// written, and starting one copies nothing.
type Snapshot struct {
	f        *os.File // memfd or unlinked file; kept referenced (its finalizer would close the fd)
	size     uint64
	prefault prefaultState // pages instances copy when mapped (see SetPrefault)
	idle     idleMemories  // closed instances' memories, reset for new ones (recycle.go)
}

// NewSnapshot stores a memory image, in a memfd, or where memfd_create is
// refused (kernels before 3.17, some seccomp profiles) in an unlinked file
// in /dev/shm or the temporary directory, which maps the same way.
func NewSnapshot(image []byte) (*Snapshot, error) {
	f, err := memfd()
	if err != nil {
		f, err = unlinkedFile()
	}
	if err != nil {
		return nil, err
	}
	return newSnapshotIn(f, image)
}

func memfd() (*os.File, error) {
	fd, err := unix.MemfdCreate("sandhost-snapshot", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot memfd: %w", err)
	}
	return os.NewFile(uintptr(fd), "sandhost-snapshot"), nil
}

func unlinkedFile() (*os.File, error) {
	dir := "/dev/shm"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "sandhost-snapshot-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: snapshot file: %w", err)
	}
	return f, nil
}

// newSnapshotIn writes image into f, which the snapshot then owns.
func newSnapshotIn(f *os.File, image []byte) (*Snapshot, error) {
	if _, err := f.Write(image); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: write snapshot: %w", err)
	}
	return &Snapshot{f: f, size: uint64(len(image))}, nil
}

// Size is the image's size in bytes.
func (s *Snapshot) Size() uint64 { return s.size }

// Close releases the image (instances mapped from it keep their mappings).
func (s *Snapshot) Close() error {
	s.idle.close()
	return s.f.Close()
}

// cowMemory is a linear memory whose first bytes map a Snapshot privately
// and whose rest is anonymous memory made accessible as the guest grows.
// Its address never changes: the whole maximum is reserved up front.
type cowMemory struct {
	mu    sync.Mutex
	snap  *Snapshot
	mem   []byte // the reservation, max bytes
	rw    uint64 // bytes accessible
	limit uint64 // growth past this fails; 0: up to the reservation
}

const osPage = 4096

func newCowMemory(snap *Snapshot, max uint64) (*cowMemory, error) {
	if max < snap.size {
		return nil, fmt.Errorf("sandbox: snapshot of %d bytes exceeds the memory limit of %d", snap.size, max)
	}
	if m := snap.idle.take(snap, max); m != nil {
		return m, nil
	}
	mem, err := unix.Mmap(-1, 0, int(max), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("sandbox: reserve %d bytes: %w", max, err)
	}
	m := &cowMemory{snap: snap, mem: mem}
	if err := m.remap(); err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	return m, nil
}

// remap maps the snapshot over the start of the memory again, dropping
// whatever was written there: the memory reads as the snapshot.
func (m *cowMemory) remap() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	size := m.snap.size
	if size == 0 {
		return nil
	}
	if m.mem == nil {
		return errors.New("sandbox: map snapshot: memory freed")
	}
	_, _, errno := unix.Syscall6(unix.SYS_MMAP, uintptr(unsafe.Pointer(&m.mem[0])), uintptr(size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED, m.snap.f.Fd(), 0)
	if errno != 0 {
		return fmt.Errorf("sandbox: map snapshot: %w", errno)
	}
	if m.rw < size {
		m.rw = size
	}
	m.snap.prefault.populate(m.mem[:size])
	return nil
}

// Reallocate makes size bytes accessible and returns them.
func (m *cowMemory) Reallocate(size uint64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size > uint64(len(m.mem)) || m.limit > 0 && size > m.limit {
		return nil
	}
	if size > m.rw {
		end := (size + osPage - 1) &^ (osPage - 1)
		if err := unix.Mprotect(m.mem[m.rw:end], unix.PROT_READ|unix.PROT_WRITE); err != nil {
			return nil
		}
		m.rw = end
	}
	return m.mem[:size:size]
}

// Free hands the memory to its snapshot for a new instance (recycle.go),
// or unmaps it.
func (m *cowMemory) Free() {
	m.mu.Lock()
	mem, rw := m.mem, m.rw
	m.mem = nil
	m.mu.Unlock()
	if mem != nil && !m.snap.idle.keep(m.snap, mem, rw) {
		unix.Munmap(mem)
	}
}

func (m *cowMemory) setLimit(bytes uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limit = bytes
}

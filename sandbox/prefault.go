package sandbox

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A page written for the first time in a copy-on-write instance costs a
// page fault, and on some virtual machines a fault costs 100+ µs (measured
// here: 120 µs a page by touching it, 1–5 µs with MADV_POPULATE_WRITE), so
// a clone's first call could spend more in the kernel than in Python. The
// pages a typical call writes are learnt once (WrittenSnapshotPages, from
// /proc/self/pagemap) and every later instance copies them in one madvise
// when its memory is mapped (SetPrefault), before any call runs.

// pageRun is a run of consecutive OS pages of a snapshot.
type pageRun struct{ first, n uint32 }

// prefaultState is what a Snapshot prefaults; the zero value prefaults
// nothing.
type prefaultState struct {
	runs        atomic.Pointer[[]pageRun]
	unsupported atomic.Bool // the kernel refused MADV_POPULATE_WRITE (before Linux 5.14)
}

// SetPrefault names the snapshot's OS pages (4 KiB, by index) that
// instances mapped from now on copy at once instead of faulting them in one
// by one as the guest writes them. Pages past the image are ignored. Where
// the kernel cannot do it, instances fault as before.
func (s *Snapshot) SetPrefault(pages []uint32) {
	var runs []pageRun
	last := uint32((s.size + osPage - 1) / osPage)
	for _, pg := range pages {
		if pg >= last {
			continue
		}
		if k := len(runs) - 1; k >= 0 && runs[k].first+runs[k].n == pg {
			runs[k].n++
			continue
		}
		runs = append(runs, pageRun{first: pg, n: 1})
	}
	s.prefault.runs.Store(&runs)
}

// PrefaultPages is how many pages SetPrefault named.
func (s *Snapshot) PrefaultPages() int {
	n := 0
	if runs := s.prefault.runs.Load(); runs != nil {
		for _, r := range *runs {
			n += int(r.n)
		}
	}
	return n
}

// Prefaulting is false once the kernel refused to copy pages up front
// (before Linux 5.14): instances then fault as they write.
func (s *Snapshot) Prefaulting() bool { return !s.prefault.unsupported.Load() }

// populate copies the snapshot's prefault pages into mem, which maps it.
func (p *prefaultState) populate(mem []byte) {
	runs := p.runs.Load()
	if runs == nil || p.unsupported.Load() {
		return
	}
	for _, r := range *runs {
		start, end := int(r.first)*osPage, int(r.first+r.n)*osPage
		if err := unix.Madvise(mem[start:min(end, len(mem))], unix.MADV_POPULATE_WRITE); err == unix.EINVAL {
			p.unsupported.Store(true)
			return
		}
		// Other errors (no memory now) leave the pages to fault later.
		touch(mem[start:min(end, len(mem))])
	}
}

// touch reads a word of each OS page of mem. On the VM measured here the
// first access to a page through a new mapping costs ~10 µs even after
// MADV_POPULATE_WRITE (copying into 695 pages just prefaulted: 6.4 ms; the
// same copy again: 0.13 ms): touching the learnt pages when the memory is
// mapped moves that from a clone's first call (12.8 → 5.0 ms) to the
// clone (8.3 → 15.4 ms), off the caller's path for pooled and spare ones.
func touch(mem []byte) {
	for off := 0; off+4 <= len(mem); off += osPage {
		atomic.LoadUint32((*uint32)(unsafe.Pointer(&mem[off])))
	}
}

// WrittenSnapshotPages lists the OS pages of the instance's snapshot that
// it has written since it was mapped (its private copies), as SetPrefault
// takes them. It needs an instance made from a Snapshot, on Linux.
func (i *Instance) WrittenSnapshotPages() ([]uint32, error) {
	m := i.inst.snapshotMemory()
	if m == nil {
		return nil, ErrNoSnapshot
	}
	return m.writtenPages()
}

func (m *cowMemory) writtenPages() ([]uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mem == nil || m.snap.size < osPage {
		return nil, nil
	}
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil, fmt.Errorf("sandbox: written pages: %w", err)
	}
	defer f.Close()
	var pages []uint32
	err = privateRuns(f, m.mem[:m.snap.size], nil, func(first, end int) {
		for pg := first; pg < end; pg++ {
			pages = append(pages, uint32(pg))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: written pages: %w", err)
	}
	return pages, nil
}

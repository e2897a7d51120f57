package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A closed instance's memory is kept for the next instance of its snapshot
// and reset to the image, instead of being unmapped. On the virtual machine
// measured here the first access to a page through a new mapping costs
// ~10 µs even when prefaulted (20+ µs when it faults), so a new mapping's
// ~700 pages written and its pages read cost milliseconds of the clone's
// first call, while copying the image back into pages already written
// costs 0.2 µs a page. The reset copies back exactly the pages that became
// private (from /proc/self/pagemap); pages only read stay mapped. What the
// guest grew is dropped when the memory is freed, so a kept memory holds no
// more than the image; the copy is made when the memory is taken, so that
// memories freed as a pool closes are only unmapped.

// maxIdleMemories bounds the memories a snapshot keeps: each holds the
// pages its instances wrote (~3 MiB for CPython). A pool of 1 making fresh
// interpreters one after another (2 cores, load 8) mapped 6–8 new memories
// in 300 with 4 kept (its first ones included), no fewer with 8.
const maxIdleMemories = 4

// idleMemories is a snapshot's memories kept for new instances.
type idleMemories struct {
	mu      sync.Mutex
	mems    [][]byte // mappings of the snapshot, growth dropped, to reset
	closed  bool
	off     bool           // no trustworthy pagemap here: memories are unmapped
	resets  sync.WaitGroup // resets running, which read view and pagemap
	view    []byte         // the image, mapped shared and read-only: what a reset copies
	pagemap *os.File       // /proc/self/pagemap: which pages a reset copies
	entries sync.Pool      // *[]byte: room for a reset's pagemap entries
}

// take returns a kept memory of max bytes reset to the image, or nil.
func (l *idleMemories) take(snap *Snapshot, max uint64) *cowMemory {
	for {
		l.mu.Lock()
		var mem []byte
		for i := len(l.mems) - 1; i >= 0; i-- { // the last kept: its pages are the likeliest cached
			if uint64(len(l.mems[i])) == max {
				mem = l.mems[i]
				l.mems = append(l.mems[:i], l.mems[i+1:]...)
				break
			}
		}
		if mem == nil {
			l.mu.Unlock()
			return nil
		}
		l.resets.Add(1)
		l.mu.Unlock()
		err := l.reset(snap, mem)
		l.resets.Done()
		if err == nil {
			return &cowMemory{snap: snap, mem: mem, rw: snap.size}
		}
		unix.Munmap(mem)
	}
}

// keep keeps the mapping of a freed memory (rw bytes accessible), what the
// guest grew dropped; false when it is not kept, and the caller unmaps it.
func (l *idleMemories) keep(snap *Snapshot, mem []byte, rw uint64) bool {
	l.mu.Lock()
	ok := !l.closed && len(l.mems) < maxIdleMemories && l.readyLocked(snap)
	l.mu.Unlock()
	if !ok {
		return false
	}
	if size := snap.size; rw > size {
		if unix.Madvise(mem[size:rw], unix.MADV_DONTNEED) != nil || unix.Mprotect(mem[size:rw], unix.PROT_NONE) != nil {
			return false
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || len(l.mems) >= maxIdleMemories {
		return false
	}
	l.mems = append(l.mems, mem)
	return true
}

// readyLocked opens what resets need the first time; false where they
// cannot be trusted.
func (l *idleMemories) readyLocked(snap *Snapshot) bool {
	if l.off || l.view != nil {
		return !l.off
	}
	l.off = true
	if snap.size < 2*osPage { // checkPagemap maps two pages of the image
		return false
	}
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return false
	}
	if err := checkPagemap(pm, snap.f); err != nil {
		pm.Close()
		return false
	}
	view, err := unix.Mmap(int(snap.f.Fd()), 0, int(snap.size), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		pm.Close()
		return false
	}
	l.off, l.view, l.pagemap = false, view, pm
	return true
}

// reset makes mem read as the snapshot again: the image copied over every
// page that became private.
func (l *idleMemories) reset(snap *Snapshot, mem []byte) error {
	size := snap.size
	entries, _ := l.entries.Get().(*[]byte)
	if entries == nil {
		entries = new([]byte)
		*entries = make([]byte, 8*(size/osPage))
	}
	defer l.entries.Put(entries)
	return privateRuns(l.pagemap, mem[:size], *entries, func(first, end int) {
		copy(mem[first*osPage:end*osPage], l.view[first*osPage:end*osPage])
	})
}

// close unmaps the kept memories and what resets use; memories freed later
// are unmapped by their Free.
func (l *idleMemories) close() {
	l.mu.Lock()
	l.closed = true
	mems := l.mems
	l.mems = nil
	l.mu.Unlock()
	l.resets.Wait()
	for _, mem := range mems {
		unix.Munmap(mem)
	}
	if l.view != nil {
		unix.Munmap(l.view)
		l.view = nil
	}
	if l.pagemap != nil {
		l.pagemap.Close()
		l.pagemap = nil
	}
}

// pagemap bits (Documentation/admin-guide/mm/pagemap.rst).
const (
	pagemapPresent = 1 << 63
	pagemapSwapped = 1 << 62
	pagemapFile    = 1 << 61 // file page or shared anonymous: not a private copy
)

// privateRuns calls fn with each run [first, end) of OS pages of mem (a
// private mapping of a file) that are the process's own copies: written
// since they were mapped. entries is room for the pagemap's entries, 8
// bytes a page; nil allocates it.
func privateRuns(pagemap *os.File, mem, entries []byte, fn func(first, end int)) error {
	n := len(mem) / osPage
	if n == 0 {
		return nil
	}
	if len(entries) < 8*n {
		entries = make([]byte, 8*n)
	}
	entries = entries[:8*n]
	off := int64(uintptr(unsafe.Pointer(&mem[0]))/osPage) * 8
	if _, err := pagemap.ReadAt(entries, off); err != nil {
		return fmt.Errorf("sandbox: read pagemap: %w", err)
	}
	private := func(pg int) bool {
		e := binary.NativeEndian.Uint64(entries[8*pg:])
		// A swapped-out page is a private copy too.
		return e&pagemapPresent != 0 && e&pagemapFile == 0 || e&pagemapSwapped != 0
	}
	for pg := 0; pg < n; pg++ {
		if !private(pg) {
			continue
		}
		end := pg + 1
		for end < n && private(end) {
			end++
		}
		fn(pg, end)
		pg = end
	}
	return nil
}

var errPagemap = errors.New("sandbox: /proc/self/pagemap does not tell written pages from read ones")

// checkPagemap makes sure that pagemap tells a written page of a private
// mapping of f from a read one here (some sandboxes emulate it): a reset
// trusting a pagemap that did not would leave one instance's writes to the
// next.
func checkPagemap(pagemap *os.File, f *os.File) error {
	probe, err := unix.Mmap(int(f.Fd()), 0, 2*osPage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return fmt.Errorf("sandbox: probe pagemap: %w", err)
	}
	defer unix.Munmap(probe)
	probe[0] = ^probe[osPage] // page 1 read, page 0 written
	var runs []pageRun
	err = privateRuns(pagemap, probe, nil, func(first, end int) {
		runs = append(runs, pageRun{first: uint32(first), n: uint32(end - first)})
	})
	if err != nil {
		return err
	}
	if len(runs) != 1 || runs[0] != (pageRun{first: 0, n: 1}) {
		return errPagemap
	}
	return nil
}

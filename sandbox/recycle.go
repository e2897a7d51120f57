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

// A closed instance's memory is kept for the next instance of its snapshot,
// reset to the image, instead of being unmapped. On the virtual machines
// measured here the first write to a page the process was just given costs
// 10–20 µs whether it faults or was prefaulted (the host backs the page
// then), so a new mapping's ~700 written pages cost milliseconds, while
// copying the image back into pages already written costs 0.2 µs a page.
// The reset copies back exactly the pages that became private (from
// /proc/self/pagemap) and drops what the guest grew, so the next instance
// reads the snapshot and nothing else; pages only read stay mapped.

// maxIdleMemories bounds the reset memories a snapshot keeps: each holds the
// pages its instances wrote (~3 MiB for CPython). Closes come in bursts on
// a loaded machine: a pool of 1 making fresh interpreters one after another
// (2 cores, load 8) mapped 14 new memories in 300 with 4 kept, 6–9 with 8
// (its first ones included).
const maxIdleMemories = 8

// idleMemories is a snapshot's memories ready for new instances.
type idleMemories struct {
	mu        sync.Mutex
	mems      []*cowMemory
	closed    bool
	off       bool           // no trustworthy pagemap here: memories are unmapped
	resets    sync.WaitGroup // resets running, which read view and pagemap
	resetting int            // how many: take waits for one rather than map anew
	reset1    *sync.Cond     // a reset ended (on mu)
	view      []byte         // the image, mapped shared and read-only: what a reset copies
	pagemap   *os.File       // /proc/self/pagemap: which pages a reset copies
	entries   sync.Pool      // *[]byte: room for a reset's pagemap entries
}

// take returns a reset memory of max bytes, or nil. With none kept but
// one being reset, it waits for that one: a reset takes a fraction of a
// millisecond, a new memory's first touches several milliseconds (a pool
// replacing one interpreter after another made a new memory for 1 clone in
// 10 without waiting).
func (l *idleMemories) take(max uint64) *cowMemory {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		for i := len(l.mems) - 1; i >= 0; i-- { // the last kept: its pages are the likeliest cached
			if m := l.mems[i]; uint64(len(m.mem)) == max {
				l.mems = append(l.mems[:i], l.mems[i+1:]...)
				return m
			}
		}
		if l.resetting == 0 || l.closed {
			return nil
		}
		l.reset1.Wait()
	}
}

// keep resets the mapping of a freed memory (rw bytes accessible) and keeps
// it; false when it is not kept, and the caller unmaps it.
func (l *idleMemories) keep(snap *Snapshot, mem []byte, rw uint64) bool {
	l.mu.Lock()
	if l.closed || len(l.mems)+l.resetting >= maxIdleMemories || !l.readyLocked(snap) {
		l.mu.Unlock()
		return false
	}
	l.resets.Add(1)
	l.resetting++
	l.mu.Unlock()
	err := l.reset(snap, mem, rw)
	l.resets.Done()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetting--
	defer l.reset1.Broadcast()
	if err != nil || l.closed || len(l.mems) >= maxIdleMemories {
		return false
	}
	l.mems = append(l.mems, &cowMemory{snap: snap, mem: mem, rw: snap.size})
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
	l.reset1 = sync.NewCond(&l.mu)
	return true
}

// reset makes mem read as the snapshot again: the image copied over every
// page that became private, the guest's growth dropped and made
// inaccessible again.
func (l *idleMemories) reset(snap *Snapshot, mem []byte, rw uint64) error {
	size := snap.size
	entries, _ := l.entries.Get().(*[]byte)
	if entries == nil {
		entries = new([]byte)
		*entries = make([]byte, 8*(size/osPage))
	}
	defer l.entries.Put(entries)
	err := privateRuns(l.pagemap, mem[:size], *entries, func(first, end int) {
		copy(mem[first*osPage:end*osPage], l.view[first*osPage:end*osPage])
	})
	if err != nil {
		return err
	}
	if rw > size {
		if err := unix.Madvise(mem[size:rw], unix.MADV_DONTNEED); err != nil {
			return fmt.Errorf("sandbox: drop grown memory: %w", err)
		}
		if err := unix.Mprotect(mem[size:rw], unix.PROT_NONE); err != nil {
			return fmt.Errorf("sandbox: protect grown memory: %w", err)
		}
	}
	return nil
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
	for _, m := range mems {
		unix.Munmap(m.mem)
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

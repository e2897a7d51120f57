package sandbox

import (
	"bytes"
	"os"
	"testing"
)

// recyclingSnapshot is a snapshot whose memories are reset and reused here,
// or the test is skipped where /proc/self/pagemap cannot say which pages an
// instance wrote (memories are then unmapped as before).
func recyclingSnapshot(t *testing.T, image []byte) *Snapshot {
	t.Helper()
	snap, err := NewSnapshot(image)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { snap.Close() })
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Skipf("no pagemap here, so no memory is reused: %v", err)
	}
	defer pm.Close()
	if err := checkPagemap(pm, snap.f); err != nil {
		t.Skipf("memory is not reused here: %v", err)
	}
	return snap
}

// A closed instance's memory is reused by the next instance, which reads
// the snapshot and nothing the closed one wrote: not in the pages copied up
// front, not in others, not where it grew (zero again, and inaccessible
// until grown), and without its memory cap.
func TestFreedMemoryIsResetForTheNextInstance(t *testing.T) {
	image := bytes.Repeat([]byte("snapshot"), 16*osPage/8)
	snap := recyclingSnapshot(t, image)
	snap.SetPrefault([]uint32{1, 2})
	size := uint64(len(image))

	a, err := newCowMemory(snap, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	mem := a.Reallocate(size)
	copy(mem[1*osPage:], "PREFAULTED PAGE WRITTEN")
	copy(mem[9*osPage+100:], "OTHER PAGE WRITTEN")
	grown := a.Reallocate(size + 3*osPage)
	copy(grown[size+osPage:], "GROWN PAGE WRITTEN")
	a.setLimit(size + 3*osPage)
	a.Free()
	if len(snap.idle.mems) != 1 {
		t.Fatal("the freed memory was not kept")
	}

	b, err := newCowMemory(snap, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	if len(snap.idle.mems) != 0 {
		t.Fatal("the next instance did not reuse the freed memory")
	}
	if !bytes.Equal(b.Reallocate(size), image) {
		t.Fatal("a reused memory does not read as the snapshot")
	}
	if b.rw != size {
		t.Fatalf("%d bytes of a reused memory accessible, want the snapshot's %d", b.rw, size)
	}
	grown = b.Reallocate(size + 4*osPage) // past the freed one's cap
	if grown == nil {
		t.Fatal("a reused memory kept the freed one's cap")
	}
	if !bytes.Equal(grown[size:], make([]byte, 4*osPage)) {
		t.Fatal("a reused memory kept what the freed one wrote where it grew")
	}
}

// A snapshot keeps a few memories, not every one freed, and none once
// closed: memories freed after that are unmapped.
func TestIdleMemoriesAreBounded(t *testing.T) {
	image := bytes.Repeat([]byte("snapshot"), 4*osPage/8)
	snap := recyclingSnapshot(t, image)
	var mems []*cowMemory
	for range maxIdleMemories + 2 {
		m, err := newCowMemory(snap, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		mems = append(mems, m)
	}
	for _, m := range mems[1:] {
		m.Free()
	}
	if n := len(snap.idle.mems); n != maxIdleMemories {
		t.Fatalf("%d memories kept, want %d", n, maxIdleMemories)
	}
	snap.Close()
	if n := len(snap.idle.mems); n != 0 {
		t.Fatalf("%d memories kept by a closed snapshot", n)
	}
	mems[0].Free()
	if n := len(snap.idle.mems); n != 0 {
		t.Fatal("a closed snapshot kept a memory freed after it closed")
	}
}

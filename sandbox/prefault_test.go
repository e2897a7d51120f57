package sandbox

import (
	"bytes"
	"slices"
	"testing"
)

// The pages an instance wrote are the ones it reports, and an instance
// mapped after SetPrefault starts with those pages already its own copies,
// reading as the snapshot, while the others stay shared.
func TestPrefaultCopiesTheLearntPages(t *testing.T) {
	image := bytes.Repeat([]byte("snapshot"), 16*osPage/8)
	snap, err := NewSnapshot(image)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	learner, err := newCowMemory(snap, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer learner.Free()
	mem := learner.Reallocate(uint64(len(image)))
	_ = mem[5*osPage] // read: stays shared
	for _, pg := range []int{1, 2, 9} {
		mem[pg*osPage+7] ^= 0xff
	}
	written, err := learner.writtenPages()
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{1, 2, 9}; !slices.Equal(written, want) {
		t.Fatalf("written pages %v, want %v", written, want)
	}

	snap.SetPrefault(append(written, 1000)) // a page past the image is ignored
	if n := snap.PrefaultPages(); n != 3 {
		t.Fatalf("PrefaultPages = %d, want 3", n)
	}
	clone, err := newCowMemory(snap, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer clone.Free()
	if !bytes.Equal(clone.Reallocate(uint64(len(image))), image) {
		t.Fatal("a prefaulted instance does not read as the snapshot")
	}
	copied, err := clone.writtenPages()
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Prefaulting() {
		t.Skip("kernel before 5.14: MADV_POPULATE_WRITE refused, instances fault as before (contents checked above)")
	}
	if !slices.Equal(copied, written) {
		t.Fatalf("pages copied up front %v, want %v", copied, written)
	}
}

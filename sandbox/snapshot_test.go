package sandbox

import (
	"bytes"
	"testing"
)

// Without memfd (refused by old kernels and some seccomp profiles), a
// snapshot lives in an unlinked file and is still mapped copy-on-write:
// instances start from it, their writes stay theirs, and a restore drops them.
func TestSnapshotWithoutMemfd(t *testing.T) {
	f, err := unlinkedFile()
	if err != nil {
		t.Fatal(err)
	}
	image := bytes.Repeat([]byte("snapshot"), 2*osPage)
	snap, err := newSnapshotIn(f, image)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	a, err := newCowMemory(snap, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	b, err := newCowMemory(snap, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	ma, mb := a.Reallocate(uint64(len(image))), b.Reallocate(uint64(len(image)))
	if !bytes.Equal(ma, image) || !bytes.Equal(mb, image) {
		t.Fatal("an instance's memory does not start as the snapshot")
	}
	copy(ma, "ALTERED")
	if !bytes.Equal(mb, image) {
		t.Fatal("a write in one instance reached another")
	}
	if err := a.remap(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Reallocate(uint64(len(image))), image) {
		t.Fatal("restore kept a write")
	}
}

package pyexec

import (
	"context"
	"testing"
)

// A pool learns which snapshot pages a call writes, and every clone it
// makes has them as its own copies before it runs anything, so a clone's
// first call does not fault them in one by one.
func TestClonesStartWithTheLearntPagesCopied(t *testing.T) {
	ctx := context.Background()
	p := startPool(t, Options{Size: 1})
	if p.snap.cow == nil {
		t.Skip("no copy-on-write snapshots on this system (no memfd)")
	}
	it, err := p.clone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer it.close()
	copied, err := it.inst.WrittenSnapshotPages()
	if err != nil {
		t.Skipf("no /proc/self/pagemap here, so no prefault set is learnt: %v", err)
	}
	if !p.snap.cow.Prefaulting() {
		t.Skip("kernel before 5.14: MADV_POPULATE_WRITE refused, clones fault as before")
	}
	learnt := p.snap.cow.PrefaultPages()
	if learnt == 0 {
		t.Fatal("the pool learnt no pages to prefault")
	}
	if len(copied) < learnt {
		t.Fatalf("a new clone has %d private pages, want the %d learnt ones at least", len(copied), learnt)
	}
}

package sandbox

import "testing"

func TestCappedWriter(t *testing.T) {
	w := newCappedWriter(5)
	w.Write([]byte("hello world"))
	got, cut := w.Take()
	if string(got) != "hello" || !cut {
		t.Fatalf("got %q, %v", got, cut)
	}
	if got, cut := w.Take(); len(got) != 0 || cut {
		t.Fatal("Take did not empty the writer")
	}
}

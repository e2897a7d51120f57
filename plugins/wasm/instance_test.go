package wasm

import (
	"strings"
	"testing"
)

// A guest's stderr is kept for the call's error as its first and last
// bytes, saying how much was left out between, and the words for running
// out of memory count wherever they came, split between writes too.
func TestStderrLogKeepsBothEnds(t *testing.T) {
	var s stderrLog
	write := func(text string) {
		if n, err := s.Write([]byte(text)); n != len(text) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	write("first line\n")
	for range 1000 {
		write(strings.Repeat("x", 99) + "\n")
	}
	write("fatal error: runtime: out ")
	write("of memory\n")
	for range 1000 {
		write(strings.Repeat("y", 99) + "\n")
	}
	write("last line\n")
	got := s.String()
	if !strings.HasPrefix(got, "first line\n") || !strings.HasSuffix(got, "y\nlast line\n") || !strings.Contains(got, " bytes …]") {
		t.Errorf("kept %q...%q, want the first line, the last one and how much was left out", got[:40], got[len(got)-40:])
	}
	if len(got) > headKeep+tailKeep+64 {
		t.Errorf("kept %d bytes of 200 KB, want at most %d", len(got), headKeep+tailKeep+64)
	}
	if !s.oom {
		t.Error("out of memory, split between two writes in the middle, not seen")
	}
	s.reset()
	write("quiet")
	if s.oom || s.String() != "quiet" {
		t.Errorf("after reset: oom %v, %q", s.oom, s.String())
	}
}

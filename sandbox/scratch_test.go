package sandbox_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/sandbox"
)

// Files the host puts in /tmp count against its cap, and files read back
// are bounded: a caller cannot fill a guest's /tmp past its cap, nor make
// the host read a file without limit.
func TestScratchFileTransfers(t *testing.T) {
	sc, err := sandbox.NewScratch(1000)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Remove()
	if err := sc.WriteFile("in/a.csv", make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if err := sc.WriteFile("/tmp/b", make([]byte, 500)); !errors.Is(err, sandbox.ErrScratchFull) {
		t.Fatalf("a file past the cap: %v, want ErrScratchFull", err)
	}
	// Replacing a file counts its new size, not both.
	if err := sc.WriteFile("/tmp/in/a.csv", make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if err := sc.WriteFile("b", make([]byte, 900)); err != nil {
		t.Fatalf("900 bytes beside 100 under a cap of 1000: %v", err)
	}
	if sc.Used() != 1000 {
		t.Fatalf("used %d, want 1000", sc.Used())
	}
	for _, name := range []string{"../escape", "/etc/passwd", "/tmp/../x", ".", "/tmp/."} {
		if err := sc.WriteFile(name, nil); !errors.Is(err, sandbox.ErrOutsideScratch) {
			t.Errorf("WriteFile(%q): %v, want ErrOutsideScratch", name, err)
		}
		if _, err := sc.ReadFile(name, 10); !errors.Is(err, sandbox.ErrOutsideScratch) {
			t.Errorf("ReadFile(%q): %v, want ErrOutsideScratch", name, err)
		}
	}
	if b, err := sc.ReadFile("/tmp/in/a.csv", 100); err != nil || len(b) != 100 {
		t.Fatalf("read back: %d bytes, %v", len(b), err)
	}
	if _, err := sc.ReadFile("b", 899); !errors.Is(err, sandbox.ErrFileTooLarge) {
		t.Fatalf("a file over the read limit: %v, want ErrFileTooLarge", err)
	}
	if _, err := sc.ReadFile("missing", 10); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := sc.ReadFile("in", 10); err == nil {
		t.Fatal("read a directory as a file")
	}
	// Errors name files as the guest sees them, never the host's directory.
	for _, name := range []string{"in/a.csv/x", "bad\x00name"} {
		err := sc.WriteFile(name, nil)
		if err == nil || strings.Contains(err.Error(), "sandhost-tmp") || !strings.Contains(err.Error(), "/tmp/") {
			t.Errorf("WriteFile(%q): %v, want an error naming /tmp only", name, err)
		}
	}
	if _, err := sc.ReadFile("missing", 10); !strings.Contains(err.Error(), "/tmp/missing") || strings.Contains(err.Error(), "sandhost-tmp") {
		t.Errorf("a missing file's error: %v, want it named /tmp/missing", err)
	}
}

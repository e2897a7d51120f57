package pyexec

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf8"
)

// A result whose lengths say more than the cap (a harness the code
// changed) costs the host no more than the cap of each stream to read, and
// the streams are reported cut (at a character boundary).
func TestResultLengthsBeyondTheCapAreNotTrusted(t *testing.T) {
	const capBytes, claimed = 1001, 1 << 30
	// Guest memory as the harness would lay the result out: header, then
	// claimed bytes of stdout, then claimed bytes of stderr. Only what is
	// read is made.
	stderrAt := uint64(4 + 16 + claimed)
	var asked uint64
	read := func(off, n uint32) ([]byte, bool) {
		asked += uint64(n)
		b := bytes.Repeat([]byte("é"), int(n)/2+1)[:n] // two bytes a character
		switch {
		case off == 0:
			binary.LittleEndian.PutUint32(b, uint32(16+claimed+4+claimed))
			binary.LittleEndian.PutUint32(b[4+12:], claimed) // flags 0: "not cut"
		case uint64(off) == stderrAt:
			binary.LittleEndian.PutUint32(b, claimed)
		}
		return b, true
	}
	r, err := readResult(read, 0, capBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !r.stdoutCut || !r.stderrCut || len(r.stdout) != capBytes-1 || len(r.stderr) != capBytes-1 ||
		!utf8.Valid(r.stdout) || !utf8.Valid(r.stderr) {
		t.Fatalf("stdout %d bytes (cut %v), stderr %d (cut %v)", len(r.stdout), r.stdoutCut, len(r.stderr), r.stderrCut)
	}
	if asked > 2*capBytes+24 {
		t.Fatalf("read %d bytes of guest memory for a cap of %d a stream", asked, capBytes)
	}
}

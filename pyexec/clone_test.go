package pyexec_test

import (
	"testing"

	"github.com/sandhost/sandhost/pyexec"
)

// A fresh interpreter may get the memory of one closed before, reset to
// the snapshot: it sees nothing that one wrote, inside objects the isolated
// model does not check (a stdlib class's attribute) or in memory it grew.
func TestFreshInterpretersSeeNothingOfClosedOnes(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	const code = "import json\n" +
		"print(getattr(json.JSONEncoder, 'left_by', None))\n" +
		"json.JSONEncoder.left_by = 'an earlier interpreter'\n" +
		"big = bytearray(b'x' * (48 << 20))\n"
	for i := range 6 {
		if r := run(t, p, code, pyexec.Fresh()); !r.Passed || r.Stdout != "None\n" {
			t.Fatalf("fresh call %d: %+v", i, r)
		}
	}
}

package embedding

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sandhost/sandhost/registry"
)

// Both JSON forms decode to the same matrix, and the array form is what
// comes out.
func TestMatrixJSONForms(t *testing.T) {
	m := randMatrix(rand.New(rand.NewPCG(41, 42)), 3, 5)
	var packed, rows Matrix
	if err := json.Unmarshal(m.Packed(), &packed); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	for _, got := range []Matrix{packed, rows} {
		if got.Rows != 3 || got.Cols != 5 || !slices.Equal(got.Data, m.Data) {
			t.Fatalf("decoded %d×%d %v, want 3×5 %v", got.Rows, got.Cols, got.Data, m.Data)
		}
	}
}

// Malformed matrices are ErrInvalid or a JSON error, never a matrix whose
// shape disagrees with its data (2³² × 2³² overflows to 0 elements).
func TestMatrixJSONRejects(t *testing.T) {
	for _, in := range []string{
		`{"rows": 4294967296, "cols": 4294967296, "f32": ""}`,
		`{"rows": 1, "cols": 2, "f32": "AAAA"}`,
		`{"rows": -1, "cols": 0, "f32": ""}`,
		`{"rows": 4000000000000000000, "cols": 0, "f32": ""}`, // no value, but 4e18 rows to loop over
		`{"rows": 1, "cols": 1, "f32": "AAAAAA==", "extra": 1}`,
		`[[1, 2], [3]]`,
		`"text"`,
	} {
		var m Matrix
		err := json.Unmarshal([]byte(in), &m)
		if err == nil {
			t.Errorf("%s: decoded as %d×%d with %d values", in, m.Rows, m.Cols, len(m.Data))
		}
		if in[0] == '[' && !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", in, err)
		}
	}
}

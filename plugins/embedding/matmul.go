package embedding

import (
	"context"
	"fmt"

	"github.com/sandhost/sandhost/registry"
)

// MatmulRequest is the payload of "matmul": the product A·B, or A·Bᵀ when
// BTransposed (B then has one row per output column, as a corpus does).
type MatmulRequest struct {
	A           Matrix `json:"a"`
	B           Matrix `json:"b"`
	BTransposed bool   `json:"b_transposed,omitempty"`
}

// Matmul computes the product of the request's matrices.
func (s *Service) Matmul(ctx context.Context, req MatmulRequest) (Matrix, error) {
	// A closed service says so whatever it is asked.
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Matrix{}, ErrClosed
	}
	if err := req.A.check("a"); err != nil {
		return Matrix{}, err
	}
	if err := req.B.check("b"); err != nil {
		return Matrix{}, err
	}
	// Shapes first: transposing a B of 4e18 rows and no columns loops
	// 4e18 times over nothing, holding the service.
	inner := req.B.Rows
	if req.BTransposed {
		inner = req.B.Cols
	}
	if req.A.Empty() || req.B.Empty() || req.A.Cols != inner {
		return Matrix{}, fmt.Errorf("%w: matmul of %d×%d by %d×%d", registry.ErrInvalid, req.A.Rows, req.A.Cols, req.B.Rows, req.B.Cols)
	}
	// The request's size does not bound the answer's: 1 MB of JSON (100k×1
	// by 1×100k) asks for 10^10 values.
	outCols := req.B.Cols
	if req.BTransposed {
		outCols = req.B.Rows
	}
	if out := int64(req.A.Rows) * int64(outCols); out > MaxProductValues {
		return Matrix{}, fmt.Errorf("%w: matmul of %d×%d by %d×%d makes %d values; at most %d", registry.ErrInvalid,
			req.A.Rows, req.A.Cols, req.B.Rows, req.B.Cols, out, int64(MaxProductValues))
	}
	bT := req.B
	if !req.BTransposed {
		bT = transpose(req.B)
	}
	return s.eng.product(ctx, req.A, bT)
}

// MaxProductValues bounds a matmul's output (64 Mi values, 256 MiB of
// float32): more is a memory bomb, not a request.
const MaxProductValues = 64 << 20

func transpose(m Matrix) Matrix {
	t := Matrix{Rows: m.Cols, Cols: m.Rows, Data: make([]float32, len(m.Data))}
	for i := range m.Rows {
		for j, v := range m.Row(i) {
			t.Data[j*t.Cols+i] = v
		}
	}
	return t
}

package embedding

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/sandhost/sandhost/registry"
)

// Matrix is a dense row-major float32 matrix: element (i, j) is
// Data[i*Cols+j].
//
// In JSON it is either an array of rows ([[1, 2], [3, 4]]) or, for large
// inputs, {"rows": R, "cols": C, "f32": "<base64 of R·C little-endian
// float32>"}, a quarter of the size and far faster to decode. It is written
// as an array of rows.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// NewMatrix makes a Rows×Cols matrix from its rows, which must all have the
// same length.
func NewMatrix(rows [][]float32) (Matrix, error) {
	if len(rows) == 0 {
		return Matrix{}, nil
	}
	m := Matrix{Rows: len(rows), Cols: len(rows[0]), Data: make([]float32, 0, len(rows)*len(rows[0]))}
	for i, r := range rows {
		if len(r) != m.Cols {
			return Matrix{}, fmt.Errorf("%w: row %d has %d values, row 0 has %d", registry.ErrInvalid, i, len(r), m.Cols)
		}
		m.Data = append(m.Data, r...)
	}
	return m, nil
}

// Row is row i, sharing the matrix's storage.
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// Empty reports whether the matrix has no elements.
func (m Matrix) Empty() bool { return m.Rows == 0 || m.Cols == 0 }

// check validates the shape against the data.
func (m Matrix) check(what string) error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("%w: %s: %d×%d matrix with %d values", registry.ErrInvalid, what, m.Rows, m.Cols, len(m.Data))
	}
	return nil
}

// RowsOf returns the matrix as a slice of rows (sharing storage).
func (m Matrix) RowsOf() [][]float32 {
	out := make([][]float32, m.Rows)
	for i := range out {
		out[i] = m.Row(i)
	}
	return out
}

type packedMatrix struct {
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
	F32  []byte `json:"f32"`
}

// UnmarshalJSON accepts both forms described on Matrix.
func (m *Matrix) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*m = Matrix{}
		return nil
	case len(b) > 0 && b[0] == '{':
		var p packedMatrix
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return err
		}
		// Shapes are bounded before they are multiplied (2³²×2³² overflows to
		// 0), each on its own too (4e18×0 holds no value but loops over its
		// rows); the kernels index elements with 32 bits.
		if p.Rows < 0 || p.Cols < 0 || p.Rows > math.MaxInt32 || p.Cols > math.MaxInt32 ||
			(p.Cols > 0 && p.Rows > math.MaxInt32/p.Cols) || len(p.F32) != 4*p.Rows*p.Cols {
			return fmt.Errorf("%w: packed matrix %d×%d needs %d bytes of f32, got %d", registry.ErrInvalid, p.Rows, p.Cols, 4*p.Rows*p.Cols, len(p.F32))
		}
		data := make([]float32, p.Rows*p.Cols)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(p.F32[4*i:]))
		}
		*m = Matrix{Rows: p.Rows, Cols: p.Cols, Data: data}
		return nil
	default:
		var rows [][]float32
		if err := json.Unmarshal(b, &rows); err != nil {
			return err
		}
		nm, err := NewMatrix(rows)
		if err != nil {
			return err
		}
		*m = nm
		return nil
	}
}

// MarshalJSON writes the array-of-rows form.
func (m Matrix) MarshalJSON() ([]byte, error) {
	if m.Rows == 0 {
		return []byte("[]"), nil
	}
	return json.Marshal(m.RowsOf())
}

// Packed encodes the matrix in the compact JSON form, for large requests.
func (m Matrix) Packed() json.RawMessage {
	raw := make([]byte, 4*len(m.Data))
	for i, v := range m.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	out, _ := json.Marshal(packedMatrix{Rows: m.Rows, Cols: m.Cols, F32: raw})
	return out
}

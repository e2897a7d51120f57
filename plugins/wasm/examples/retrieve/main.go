//go:build wasip1

// Command retrieve is a plugin that leaves its arithmetic to the host:
// "search" ranks documents' vectors against a query through
// sandhost_similarity (the host's GPU where it has one), sending them as
// packed float32 rather than JSON numbers; "matmul" hands its input to
// sandhost_matmul as it is.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"

	"github.com/extism/go-pdk"

	"github.com/sandhost/sandhost/plugins/wasm/guest"
)

// searchInput is the input of "search".
type searchInput struct {
	Query  []float32   `json:"query"`
	Docs   [][]float32 `json:"docs"`
	K      int         `json:"k"`
	Metric string      `json:"metric,omitempty"` // "cosine" (default) or "dot"
}

// searchOutput is the output of "search": the best documents, best first.
type searchOutput struct {
	Indices []int     `json:"indices"`
	Scores  []float32 `json:"scores"`
}

// packed is a matrix in the host's packed form: raw little-endian float32.
type packed struct {
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
	F32  string `json:"f32"`
}

func pack(rows [][]float32) packed {
	p := packed{Rows: len(rows)}
	if len(rows) > 0 {
		p.Cols = len(rows[0])
	}
	b := make([]byte, 0, 4*p.Rows*p.Cols)
	for _, r := range rows {
		for _, v := range r {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	p.F32 = base64.StdEncoding.EncodeToString(b)
	return p
}

//go:wasmexport search
func search() int32 {
	var in searchInput
	if err := json.Unmarshal(pdk.Input(), &in); err != nil {
		pdk.SetError(err)
		return 1
	}
	req, _ := json.Marshal(map[string]any{
		"queries": pack([][]float32{in.Query}),
		"corpus":  pack(in.Docs),
		"top_k":   in.K,
		"metric":  in.Metric,
	})
	reply, err := guest.Similarity(req)
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	var res struct {
		Scores  [][]float32 `json:"scores"`
		Indices [][]int     `json:"indices"`
	}
	if err := json.Unmarshal(reply, &res); err != nil {
		pdk.SetError(err)
		return 1
	}
	out, _ := json.Marshal(searchOutput{Indices: res.Indices[0], Scores: res.Scores[0]})
	pdk.Output(out)
	return 0
}

//go:wasmexport matmul
func matmul() int32 {
	out, err := guest.Matmul(pdk.Input())
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	pdk.Output(out)
	return 0
}

func main() {}

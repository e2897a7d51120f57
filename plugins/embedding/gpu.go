package embedding

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandhost/sandhost/plugins/embedding/internal/cuda"
)

// gpuEngine computes on one NVIDIA GPU through the CUDA driver. Scores are
// computed by the scores_nt kernel into device memory and reduced there by
// selection passes (topk_regN, or topk_select for large k), so only a few
// candidates per query cross the PCIe bus; the last merge of those
// candidates runs on the CPU.
//
// The engine's device work is serialised by its context (one call at a
// time); its scratch buffers grow to the largest call and are freed at
// close, the corpus buffers at release.
type gpuEngine struct {
	ctx     *cuda.Context
	mod     *cuda.Module
	scores  cuda.Function
	topk    map[string]cuda.Function // by kernel name (listCapacity)
	label   string
	scratch scratch
	// scoreBudget bounds the bytes of one block of scores (maxScoreBytes;
	// tests make it small to run many blocks).
	scoreBudget int
}

// deviceCorpus is a corpus's device copy.
type deviceCorpus struct {
	data, invNorm cuda.DevicePtr
}

// maxScoreBytes bounds the score matrix of one pass: queries are processed
// in row blocks so that a large batch needs no more device memory.
const maxScoreBytes = 512 << 20

// Candidate reduction: a pass keeps a list (k rounded up to a kernel's list
// size) per (row, stride class), with at most maxStride classes of at least
// columnsPerClass·list columns; passes stop once a row has at most
// finalCandidates·list candidates, which are copied back.
const (
	maxStride       = 1024
	columnsPerClass = 8
	finalCandidates = 32
)

func newGPUEngine(ordinal int) (*gpuEngine, error) {
	d, err := cuda.Load()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoGPU, err)
	}
	if ordinal < 0 || ordinal >= d.DeviceCount() {
		return nil, fmt.Errorf("%w: GPU %d asked for, the driver found %d", ErrNoGPU, ordinal, d.DeviceCount())
	}
	name, err := d.DeviceName(ordinal)
	if err != nil {
		return nil, err
	}
	ctx, err := d.Open(ordinal)
	if err != nil {
		return nil, err
	}
	e := &gpuEngine{ctx: ctx, label: fmt.Sprintf("gpu:%d %s", ordinal, name), scoreBudget: maxScoreBytes}
	err = ctx.Do(func(g *cuda.Current) error {
		m, err := g.LoadModule(kernelPTX())
		if err != nil {
			return err
		}
		e.mod = m
		if e.scores, err = g.Function(m, "scores_nt"); err != nil {
			return err
		}
		e.topk = map[string]cuda.Function{}
		names := []string{"topk_select"}
		for _, n := range registerListSizes {
			_, name := listCapacity(n)
			names = append(names, name)
		}
		for _, name := range names {
			if e.topk[name], err = g.Function(m, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.close()
		return nil, fmt.Errorf("embedding: loading kernels on %s: %w", e.label, err)
	}
	return e, nil
}

func (e *gpuEngine) name() string { return e.label }

// kernelLog is the JIT compiler's report on the kernels.
func (e *gpuEngine) kernelLog() string { return e.mod.InfoLog }

func (e *gpuEngine) close() error {
	err := e.ctx.Do(func(g *cuda.Current) error {
		return errors.Join(e.scratch.free(g), g.Unload(e.mod))
	})
	return errors.Join(err, e.ctx.Close())
}

func (e *gpuEngine) prepare(_ context.Context, m Matrix) (*corpus, error) {
	c := newCorpus(m)
	dc := &deviceCorpus{}
	err := e.ctx.Do(func(g *cuda.Current) error {
		var err error
		if dc.data, err = g.Alloc(4 * len(m.Data)); err != nil {
			return err
		}
		if dc.invNorm, err = g.Alloc(4 * len(c.invNorm)); err != nil {
			return err
		}
		if err := cuda.CopyToDevice(g, dc.data, m.Data); err != nil {
			return err
		}
		return cuda.CopyToDevice(g, dc.invNorm, c.invNorm)
	})
	c.dev = dc
	if err != nil {
		e.release(c)
		return nil, err
	}
	return c, nil
}

func (e *gpuEngine) release(c *corpus) {
	if c == nil || c.dev == nil {
		return
	}
	dc := c.dev
	c.dev = nil
	// A failure to free leaves nothing to do: the memory goes with the
	// context.
	_ = e.ctx.Do(func(g *cuda.Current) error { return errors.Join(g.Free(dc.data), g.Free(dc.invNorm)) })
}

// reductionPasses lists the strides of the selection passes for rows of
// cols scores, each pass keeping lists of list entries, and the candidates
// per row left after them.
func reductionPasses(cols, list int) (strides []int, left int) {
	for cols > finalCandidates*list {
		s := min(maxStride, cols/(columnsPerClass*list))
		if s < 2 {
			break
		}
		strides = append(strides, s)
		cols = s * list
	}
	return strides, cols
}

func (e *gpuEngine) topK(ctx context.Context, q Matrix, c *corpus, normalizedScores bool, k int) ([][]hit, error) {
	n, d := c.m.Rows, c.m.Cols
	block := max(1, min(q.Rows, e.scoreBudget/(4*n)))
	if block > blockRows {
		block -= block % blockRows
	}
	// The kernels keep lists of a fixed size (at least k): the
	// candidates that come back hold each row's k best.
	list, _ := listCapacity(k)
	strides, left := reductionPasses(n, list)
	candCols := 0
	if len(strides) > 0 {
		candCols = strides[0] * list
	}
	out := make([][]hit, 0, q.Rows)
	candS := make([]float32, block*left)
	candI := make([]int32, block*left)
	for r0 := 0; r0 < q.Rows; r0 += block {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := min(block, q.Rows-r0)
		err := e.ctx.Do(func(g *cuda.Current) error {
			buf, err := e.scratch.ensure(g, 4*block*d, 4*block*n, 4*block*candCols)
			if err != nil {
				return err
			}
			if err := cuda.CopyToDevice(g, buf.queries, q.Data[r0*d:(r0+rows)*d]); err != nil {
				return err
			}
			if err := e.launchScores(g, buf.queries, c, buf.scores, rows, normalizedScores); err != nil {
				return err
			}
			src, srcIdx, cols, err := e.reduce(g, buf, rows, n, list, strides)
			if err != nil {
				return err
			}
			if err := cuda.CopyFromDevice(g, candS[:rows*cols], src); err != nil {
				return err
			}
			if srcIdx != 0 {
				return cuda.CopyFromDevice(g, candI[:rows*cols], srcIdx)
			}
			for i := range rows * cols {
				candI[i] = int32(i % cols)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("embedding: %s: %w", e.label, err)
		}
		// The merge is a heap operation per candidate (0.35 ms for the
		// realistic batch on one core): spread over the cores.
		merged := make([][]hit, rows)
		parallel(rows, partsFor(rows*left, 1<<11), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sel := newSelector(k)
				for j := i * left; j < (i+1)*left; j++ {
					if candI[j] >= 0 {
						sel.offer(hit{score: candS[j], index: candI[j]})
					}
				}
				merged[i] = sel.sorted()
			}
		})
		out = append(out, merged...)
	}
	return out, nil
}

// launchScores starts the score kernel: rows queries (already normalised
// for cosine) against the corpus, into scores (rows × corpus rows).
func (e *gpuEngine) launchScores(g *cuda.Current, queries cuda.DevicePtr, c *corpus, scores cuda.DevicePtr, rows int, normalizedScores bool) error {
	var scale cuda.DevicePtr
	if normalizedScores {
		scale = c.dev.invNorm
	}
	return e.launchScoreRows(g, queries, c.dev.data, scores, scale, rows, c.m.Rows, c.m.Cols)
}

// maxLaunchRows is the most rows one launch of the score kernel covers:
// CUDA bounds a grid's Y size at 65,535 blocks of blockRows rows. A tall
// matmul (8.4M rows by a few columns) or a block of queries against a tiny
// corpus exceeds it.
const maxLaunchRows = 65535 * blockRows

// launchScoreRows starts the score kernel on a (rows × d) against b
// (n × d) into out (rows × n), scaled by scale where it is not 0, in
// launches of at most maxLaunchRows rows.
func (e *gpuEngine) launchScoreRows(g *cuda.Current, a, b, out, scale cuda.DevicePtr, rows, n, d int) error {
	for r := 0; r < rows; r += maxLaunchRows {
		m := min(maxLaunchRows, rows-r)
		grid := cuda.Dim3{X: uint32((n + blockCols - 1) / blockCols), Y: uint32((m + blockRows - 1) / blockRows)}
		if err := g.Launch(e.scores, grid, cuda.Dim3{X: threadsPerSide * threadsPerSide},
			a+cuda.DevicePtr(4*r*d), b, out+cuda.DevicePtr(4*r*n), scale, uint32(m), uint32(n), uint32(d)); err != nil {
			return err
		}
	}
	return nil
}

// reduce starts the selection passes over the score matrix in buf (rows ×
// n), each keeping lists of list entries (a listCapacity), and says where
// the remaining candidates are: their scores, their corpus indices (0: the
// column is the index) and how many per row.
func (e *gpuEngine) reduce(g *cuda.Current, buf *scratch, rows, n, list int, strides []int) (src, srcIdx cuda.DevicePtr, cols int, err error) {
	_, kernel := listCapacity(list)
	src, cols = buf.scores, n
	for p, s := range strides {
		dstS, dstI := buf.candS[p%2], buf.candI[p%2]
		threads := rows * s
		if err := g.Launch(e.topk[kernel], cuda.Dim3{X: uint32((threads + topkThreads - 1) / topkThreads)}, cuda.Dim3{X: topkThreads},
			src, srcIdx, uint32(rows), uint32(cols), uint32(s), uint32(list), dstS, dstI); err != nil {
			return 0, 0, 0, err
		}
		src, srcIdx, cols = dstS, dstI, s*list
	}
	return src, srcIdx, cols, nil
}

func (e *gpuEngine) product(_ context.Context, a, bT Matrix) (Matrix, error) {
	out := Matrix{Rows: a.Rows, Cols: bT.Rows, Data: make([]float32, a.Rows*bT.Rows)}
	err := e.ctx.Do(func(g *cuda.Current) error {
		var bufs [3]cuda.DevicePtr
		defer func() {
			for _, p := range bufs {
				_ = g.Free(p)
			}
		}()
		for i, size := range []int{len(a.Data), len(bT.Data), len(out.Data)} {
			var err error
			if bufs[i], err = g.Alloc(4 * max(size, 1)); err != nil {
				return err
			}
		}
		if err := cuda.CopyToDevice(g, bufs[0], a.Data); err != nil {
			return err
		}
		if err := cuda.CopyToDevice(g, bufs[1], bT.Data); err != nil {
			return err
		}
		if err := e.launchScoreRows(g, bufs[0], bufs[1], bufs[2], 0, a.Rows, bT.Rows, a.Cols); err != nil {
			return err
		}
		return cuda.CopyFromDevice(g, out.Data, bufs[2])
	})
	if err != nil {
		return Matrix{}, fmt.Errorf("embedding: %s: %w", e.label, err)
	}
	return out, nil
}

package embedding

import (
	"fmt"
	"strings"
)

// Tile shape of the score kernel: 16×16 threads, each computing a tileM×
// tileN block of outputs, over K in steps of tileK.
const (
	threadsPerSide = 16
	tileM          = 8 // rows per thread
	tileN          = 8 // columns per thread
	tileK          = 16
	blockRows      = threadsPerSide * tileM // 128 query rows per block
	blockCols      = threadsPerSide * tileN // 128 corpus rows per block
	smemPad        = 4                      // floats; keeps 16-byte alignment, spreads banks
)

// writeScoreKernel emits scores_nt: C[i][j] = scale[j] · Σ_k A[i][k]·B[j][k]
// for row-major A (M×K), B (N×K) and C (M×N); scale may be 0 (no scaling).
//
// Each block computes a 128×128 tile of C. Per step of 16 along K, every
// thread loads 8 elements of A's and 8 of B's tile from global memory
// (coalesced along K), stores them transposed in shared memory, and then
// each thread accumulates its 8×8 outputs from 16 rank-1 updates read as
// 16-byte vectors. A thread's 8 columns are two groups of 4, 64 apart, so a
// warp's vector reads of B are contiguous (no bank conflicts).
func writeScoreKernel(b *strings.Builder) {
	const (
		strideA = blockRows + smemPad // floats per row of As (one k)
		strideB = blockCols + smemPad
	)
	w := func(format string, args ...any) { fmt.Fprintf(b, "\t"+format+"\n", args...) }
	acc := func(i, j int) string { return fmt.Sprintf("acc_%d_%d", i, j) }

	b.WriteString(`.visible .entry scores_nt(
	.param .u64 param_a, .param .u64 param_b, .param .u64 param_c, .param .u64 param_scale,
	.param .u32 param_m, .param .u32 param_n, .param .u32 param_k)
.maxntid 256, 1, 1
{
`)
	w(".shared .align 16 .f32 As[%d];", tileK*strideA)
	w(".shared .align 16 .f32 Bs[%d];", tileK*strideB)
	w(".reg .u64 A, B, C, S, addr, off, kk64, rowoff;")
	w(".reg .u32 M, N, K, tid, tx, ty, bm, bn, k0, kk, row, col, sAst, sBst, sAld, sBld, t;")
	w(".reg .pred p, pk, hasScale;")
	w(".reg .f32 v, sc;")
	for i := range tileM {
		w(".reg .f32 a%d, la%d;", i, i)
	}
	for j := range tileN {
		w(".reg .f32 b%d, lb%d, scale%d;", j, j, j)
		w(".reg .u32 col%d;", j)
		w(".reg .pred pc%d;", j)
	}
	for i := range tileM {
		names := make([]string, tileN)
		for j := range tileN {
			names[j] = acc(i, j)
		}
		w(".reg .f32 %s;", strings.Join(names, ", "))
	}

	w("ld.param.u64 A, [param_a];")
	w("ld.param.u64 B, [param_b];")
	w("ld.param.u64 C, [param_c];")
	w("ld.param.u64 S, [param_scale];")
	w("ld.param.u32 M, [param_m];")
	w("ld.param.u32 N, [param_n];")
	w("ld.param.u32 K, [param_k];")
	w("cvta.to.global.u64 A, A;")
	w("cvta.to.global.u64 B, B;")
	w("cvta.to.global.u64 C, C;")
	w("setp.ne.u64 hasScale, S, 0;")
	w("cvta.to.global.u64 S, S;")
	w("mov.u32 tid, %%tid.x;")
	w("and.b32 tx, tid, 15;")
	w("shr.u32 ty, tid, 4;")
	w("mov.u32 t, %%ctaid.x;")
	w("mul.lo.u32 bn, t, %d;", blockCols)
	w("mov.u32 t, %%ctaid.y;")
	w("mul.lo.u32 bm, t, %d;", blockRows)
	// Shared addresses: stores go to As[tx][ty + 16r], loads read As[k][ty*tileM ..].
	w("mov.u32 sAst, As;")
	w("mov.u32 sBst, Bs;")
	w("mov.u32 sAld, sAst;")
	w("mov.u32 sBld, sBst;")
	w("mad.lo.u32 t, tx, %d, ty;", strideA)
	w("mad.lo.u32 sAst, t, 4, sAst;")
	w("mad.lo.u32 t, tx, %d, ty;", strideB)
	w("mad.lo.u32 sBst, t, 4, sBst;")
	w("mad.lo.u32 sAld, ty, %d, sAld;", tileM*4)
	w("mad.lo.u32 sBld, tx, 16, sBld;")
	for i := range tileM {
		for j := range tileN {
			w("mov.f32 %s, 0f00000000;", acc(i, j))
		}
	}
	w("mov.u32 k0, 0;")
	b.WriteString("LOOP:\n")
	w("setp.ge.u32 p, k0, K;")
	w("@p bra EPILOGUE;")
	w("add.u32 kk, k0, tx;")
	w("setp.lt.u32 pk, kk, K;")
	w("cvt.u64.u32 kk64, kk;")
	// Global loads of this step's tiles, zero outside the matrices.
	load := func(base, dst string, count int, firstRow, limit string) {
		for r := range count {
			w("add.u32 row, %s, %d;", firstRow, 16*r)
			w("add.u32 row, row, ty;")
			w("setp.lt.and.u32 p, row, %s, pk;", limit)
			w("mov.f32 %s%d, 0f00000000;", dst, r)
			w("mad.wide.u32 off, row, K, kk64;")
			w("shl.b64 off, off, 2;")
			w("add.u64 addr, %s, off;", base)
			w("@p ld.global.nc.f32 %s%d, [addr];", dst, r)
		}
	}
	load("A", "la", tileM, "bm", "M")
	load("B", "lb", tileN, "bn", "N")
	for r := range tileM {
		w("st.shared.f32 [sAst+%d], la%d;", 16*r*4, r)
	}
	for r := range tileN {
		w("st.shared.f32 [sBst+%d], lb%d;", 16*r*4, r)
	}
	w("bar.sync 0;")
	for k := range tileK {
		for q := 0; q < tileM; q += 4 {
			w("ld.shared.v4.f32 {a%d, a%d, a%d, a%d}, [sAld+%d];", q, q+1, q+2, q+3, (k*strideA+q)*4)
		}
		for q := 0; q < tileN; q += 4 {
			w("ld.shared.v4.f32 {b%d, b%d, b%d, b%d}, [sBld+%d];", q, q+1, q+2, q+3, (k*strideB+(q/4)*64)*4)
		}
		for i := range tileM {
			for j := range tileN {
				w("fma.rn.f32 %s, a%d, b%d, %s;", acc(i, j), i, j, acc(i, j))
			}
		}
	}
	w("bar.sync 0;")
	w("add.u32 k0, k0, %d;", tileK)
	w("bra LOOP;")

	b.WriteString("EPILOGUE:\n")
	for j := range tileN {
		w("add.u32 col%d, bn, %d;", j, (j/4)*64+j%4)
		w("mad.lo.u32 col%d, tx, 4, col%d;", j, j)
		w("setp.lt.u32 pc%d, col%d, N;", j, j)
		w("mov.f32 scale%d, 0f3F800000;", j)
		w("setp.lt.and.u32 p, col%d, N, hasScale;", j)
		w("mul.wide.u32 off, col%d, 4;", j)
		w("add.u64 addr, S, off;")
		w("@p ld.global.nc.f32 scale%d, [addr];", j)
	}
	for i := range tileM {
		w("mad.lo.u32 row, ty, %d, bm;", tileM)
		w("add.u32 row, row, %d;", i)
		w("setp.lt.u32 p, row, M;")
		w("@!p bra DONE;") // later rows are out of range too
		w("mul.wide.u32 rowoff, row, N;")
		for j := range tileN {
			w("cvt.u64.u32 off, col%d;", j)
			w("add.u64 off, rowoff, off;")
			w("shl.b64 off, off, 2;")
			w("add.u64 addr, C, off;")
			w("mul.f32 v, %s, scale%d;", acc(i, j), j)
			w("@pc%d st.global.f32 [addr], v;", j)
		}
	}
	b.WriteString("DONE:\n\tret;\n}\n\n")
}

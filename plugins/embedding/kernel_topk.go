package embedding

import (
	"fmt"
	"strings"
)

// topkThreads is the block size of the selection kernels.
const topkThreads = 256

// registerListSizes are the list capacities of the topk_regN kernels, which
// keep a thread's list in registers (PTX cannot index registers at run
// time, so each size is its own kernel); a top_k above the largest uses
// topk_select, whose list is in global memory.
var registerListSizes = []int{1, 2, 4, 8, 16, 32}

// listCapacity is the list size the kernels keep for top_k k, and the name
// of the kernel that keeps it.
func listCapacity(k int) (int, string) {
	for _, n := range registerListSizes {
		if k <= n {
			return n, fmt.Sprintf("topk_reg%d", n)
		}
	}
	return k, "topk_select"
}

// writeTopKKernel emits topk_select. Thread t handles one row and one
// residue class c = t mod stride of its columns (columns c, c+stride, …, so
// a warp reads consecutive addresses), and keeps the k best of them in
// out[t·k .. t·k+k) in the order (score descending, index ascending); the
// output is a rows × (stride·k) candidate matrix with its indices, fed to
// the next pass or copied back. idx may be 0: a column's index is then the
// column itself. Empty slots hold (-Inf, -1); -Inf and NaN never enter.
//
// The list lives in global memory rather than registers (registers cannot
// be indexed at run time): after the first k columns a new column enters
// only if it beats the current k-th, which is rare on real data.
func writeTopKKernel(b *strings.Builder) {
	b.WriteString(`.visible .entry topk_select(
	.param .u64 param_scores, .param .u64 param_idx, .param .u32 param_rows, .param .u32 param_cols,
	.param .u32 param_stride, .param .u32 param_k, .param .u64 param_out_s, .param .u64 param_out_i)
{
	.reg .u64 S, I, OS, OI, rowbase, off, addr, obase, oaddr, paddr;
	.reg .u32 rows, cols, stride, k, t, total, row, c, p, q, km1, pos;
	.reg .b32 j, thri, pi; // corpus indices, -1 for an empty slot
	.reg .f32 v, thrs, ps;
	.reg .pred hasIdx, pr, better, same, lower;

	ld.param.u64 S, [param_scores];
	ld.param.u64 I, [param_idx];
	ld.param.u32 rows, [param_rows];
	ld.param.u32 cols, [param_cols];
	ld.param.u32 stride, [param_stride];
	ld.param.u32 k, [param_k];
	ld.param.u64 OS, [param_out_s];
	ld.param.u64 OI, [param_out_i];
	cvta.to.global.u64 S, S;
	setp.ne.u64 hasIdx, I, 0;
	cvta.to.global.u64 I, I;
	cvta.to.global.u64 OS, OS;
	cvta.to.global.u64 OI, OI;

	mov.u32 t, %ctaid.x;
	mov.u32 p, %ntid.x;
	mov.u32 q, %tid.x;
	mad.lo.u32 t, t, p, q;
	mul.lo.u32 total, rows, stride;
	setp.ge.u32 pr, t, total;
	@pr bra END;
	div.u32 row, t, stride;
	mul.lo.u32 p, row, stride;
	sub.u32 c, t, p;
	mul.wide.u32 obase, t, k;
	shl.b64 obase, obase, 2;
	mul.wide.u32 rowbase, row, cols;
	sub.u32 km1, k, 1;

	// Empty list.
	mov.u32 q, 0;
INIT:
	setp.ge.u32 pr, q, k;
	@pr bra SCAN_START;
	mul.wide.u32 off, q, 4;
	add.u64 off, obase, off;
	add.u64 oaddr, OS, off;
	st.global.f32 [oaddr], 0fFF800000;
	add.u64 oaddr, OI, off;
	st.global.s32 [oaddr], -1;
	add.u32 q, q, 1;
	bra INIT;

SCAN_START:
	mov.f32 thrs, 0fFF800000;
	mov.b32 thri, -1;
	mov.u32 pos, c;
SCAN:
	setp.ge.u32 pr, pos, cols;
	@pr bra END;
	cvt.u64.u32 off, pos;
	add.u64 off, rowbase, off;
	shl.b64 off, off, 2;
	add.u64 addr, S, off;
	ld.global.nc.f32 v, [addr];
	mov.b32 j, pos;
	add.u64 addr, I, off;
	@hasIdx ld.global.nc.s32 j, [addr];
	// better: v > thrs || (v == thrs && j < thri)
	setp.gt.f32 better, v, thrs;
	setp.eq.f32 same, v, thrs;
	setp.lt.s32 lower, j, thri;
	and.pred same, same, lower;
	or.pred better, better, same;
	@!better bra NEXT;

	// Insert: shift worse entries down from slot k-1.
	mov.u32 q, km1;
SHIFT:
	setp.eq.u32 pr, q, 0;
	@pr bra PLACE;
	sub.u32 p, q, 1;
	mul.wide.u32 off, p, 4;
	add.u64 off, obase, off;
	add.u64 paddr, OS, off;
	ld.global.f32 ps, [paddr];
	add.u64 paddr, OI, off;
	ld.global.s32 pi, [paddr];
	setp.gt.f32 better, v, ps;
	setp.eq.f32 same, v, ps;
	setp.lt.s32 lower, j, pi;
	and.pred same, same, lower;
	or.pred better, better, same;
	@!better bra PLACE;
	mul.wide.u32 off, q, 4;
	add.u64 off, obase, off;
	add.u64 oaddr, OS, off;
	st.global.f32 [oaddr], ps;
	add.u64 oaddr, OI, off;
	st.global.s32 [oaddr], pi;
	mov.u32 q, p;
	bra SHIFT;
PLACE:
	mul.wide.u32 off, q, 4;
	add.u64 off, obase, off;
	add.u64 oaddr, OS, off;
	st.global.f32 [oaddr], v;
	add.u64 oaddr, OI, off;
	st.global.s32 [oaddr], j;
	// The new k-th.
	mul.wide.u32 off, km1, 4;
	add.u64 off, obase, off;
	add.u64 oaddr, OS, off;
	ld.global.f32 thrs, [oaddr];
	add.u64 oaddr, OI, off;
	ld.global.s32 thri, [oaddr];

NEXT:
	add.u32 pos, pos, stride;
	bra SCAN;
END:
	ret;
}
`)
}

// writeTopKRegisterKernel emits topk_regN: what topk_select does (same
// parameters; k is ignored, N is kept), with the list in registers. A column
// that beats the N-th is carried down the list in one unrolled pass of
// compare-and-swap, with no memory traffic, and columns are loaded four at
// a time so that four loads are in flight per thread.
func writeTopKRegisterKernel(b *strings.Builder, n int) {
	w := func(format string, args ...any) { fmt.Fprintf(b, "\t"+format+"\n", args...) }
	// Labels carry the size, unique in the module whatever PTX's scoping.
	label := func(name string) string { return fmt.Sprintf("R%d_%s", n, name) }
	fmt.Fprintf(b, `.visible .entry topk_reg%d(
	.param .u64 param_scores, .param .u64 param_idx, .param .u32 param_rows, .param .u32 param_cols,
	.param .u32 param_stride, .param .u32 param_k, .param .u64 param_out_s, .param .u64 param_out_i)
{
	.reg .u64 S, I, OS, OI, rowbase, off, addr, obase;
	.reg .u32 rows, cols, stride, t, total, row, c, p, q, pos, last;
	.reg .pred hasIdx, pr, better, same, lower;
	.reg .f32 ts, v0, v1, v2, v3;
	.reg .b32 ti, j0, j1, j2, j3;
`, n)
	for q := range n {
		w(".reg .f32 s%d;", q)
		w(".reg .b32 i%d;", q)
	}
	b.WriteString(`	ld.param.u64 S, [param_scores];
	ld.param.u64 I, [param_idx];
	ld.param.u32 rows, [param_rows];
	ld.param.u32 cols, [param_cols];
	ld.param.u32 stride, [param_stride];
	ld.param.u64 OS, [param_out_s];
	ld.param.u64 OI, [param_out_i];
	cvta.to.global.u64 S, S;
	setp.ne.u64 hasIdx, I, 0;
	cvta.to.global.u64 I, I;
	cvta.to.global.u64 OS, OS;
	cvta.to.global.u64 OI, OI;
	mov.u32 t, %ctaid.x;
	mov.u32 p, %ntid.x;
	mov.u32 q, %tid.x;
	mad.lo.u32 t, t, p, q;
	mul.lo.u32 total, rows, stride;
	setp.ge.u32 pr, t, total;
	@pr bra ` + label("END") + `;
	div.u32 row, t, stride;
	mul.lo.u32 p, row, stride;
	sub.u32 c, t, p;
	mul.wide.u32 rowbase, row, cols;
`)
	for q := range n {
		w("mov.f32 s%d, 0fFF800000;", q)
		w("mov.b32 i%d, -1;", q)
	}
	w("mov.u32 pos, c;")
	// insert carries (v, j) down the list where it beats the last entry.
	insert := func(v, j, next string) {
		w("setp.gt.f32 better, %s, s%d;", v, n-1)
		w("setp.eq.f32 same, %s, s%d;", v, n-1)
		w("setp.lt.s32 lower, %s, i%d;", j, n-1)
		w("and.pred same, same, lower;")
		w("or.pred better, better, same;")
		w("@!better bra %s;", next)
		for q := range n {
			w("setp.gt.f32 better, %s, s%d;", v, q)
			w("setp.eq.f32 same, %s, s%d;", v, q)
			w("setp.lt.s32 lower, %s, i%d;", j, q)
			w("and.pred same, same, lower;")
			w("or.pred better, better, same;")
			w("mov.f32 ts, s%d;", q)
			w("mov.b32 ti, i%d;", q)
			w("selp.f32 s%d, %s, s%d, better;", q, v, q)
			w("selp.b32 i%d, %s, i%d, better;", q, j, q)
			w("selp.f32 %s, ts, %s, better;", v, v)
			w("selp.b32 %s, ti, %s, better;", j, j)
		}
		fmt.Fprintf(b, "%s:\n", next)
	}
	load := func(u int) {
		w("add.u32 p, pos, q;")
		w("cvt.u64.u32 off, p;")
		w("add.u64 off, rowbase, off;")
		w("shl.b64 off, off, 2;")
		w("add.u64 addr, S, off;")
		w("ld.global.nc.f32 v%d, [addr];", u)
		w("mov.b32 j%d, p;", u)
		w("add.u64 addr, I, off;")
		w("@hasIdx ld.global.nc.b32 j%d, [addr];", u)
		w("add.u32 q, q, stride;")
	}
	// Four columns at a time while the fourth is in the row.
	b.WriteString(label("SCAN4") + ":\n")
	w("mad.lo.u32 last, stride, 3, pos;")
	w("setp.ge.u32 pr, last, cols;")
	w("@pr bra %s;", label("SCAN1"))
	w("mov.u32 q, 0;")
	for u := range 4 {
		load(u)
	}
	for u := range 4 {
		insert(fmt.Sprintf("v%d", u), fmt.Sprintf("j%d", u), label(fmt.Sprintf("NEXT4_%d", u)))
	}
	w("shl.b32 p, stride, 2;")
	w("add.u32 pos, pos, p;")
	w("bra %s;", label("SCAN4"))
	// The rest one at a time.
	b.WriteString(label("SCAN1") + ":\n")
	w("setp.ge.u32 pr, pos, cols;")
	w("@pr bra %s;", label("STORE"))
	w("mov.u32 q, 0;")
	load(0)
	insert("v0", "j0", label("NEXT1"))
	w("add.u32 pos, pos, stride;")
	w("bra %s;", label("SCAN1"))
	b.WriteString(label("STORE") + ":\n")
	w("mul.wide.u32 obase, t, %d;", 4*n)
	for q := range n {
		w("add.u64 addr, OS, obase;")
		w("st.global.f32 [addr+%d], s%d;", 4*q, q)
		w("add.u64 addr, OI, obase;")
		w("st.global.b32 [addr+%d], i%d;", 4*q, q)
	}
	b.WriteString(label("END") + ":\n\tret;\n}\n\n")
}

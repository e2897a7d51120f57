package embedding

import (
	"math"
	"slices"
)

// hit is one corpus row's score for a query.
type hit struct {
	score float32
	index int32
}

// beats is the order of results: higher score first, and of equal scores
// the lower corpus index, so ties come out the same on every run, device
// and number of workers.
func (a hit) beats(b hit) bool {
	return a.score > b.score || (a.score == b.score && a.index < b.index)
}

// selector keeps the k best hits offered to it: a heap whose root is the
// worst kept.
type selector struct {
	k    int
	heap []hit
}

func newSelector(k int) selector { return selector{k: k, heap: make([]hit, 0, k)} }

var negInf = float32(math.Inf(-1))

// offer considers one hit. -Inf and NaN scores are never kept (the GPU
// kernel marks empty slots with -Inf, and NaN has no place in the order).
func (s *selector) offer(h hit) {
	if !(h.score > negInf) {
		return
	}
	if len(s.heap) < s.k {
		s.heap = append(s.heap, h)
		s.up(len(s.heap) - 1)
		return
	}
	if h.beats(s.heap[0]) {
		s.heap[0] = h
		s.down(0)
	}
}

// worse(i, j): heap[i] should be nearer the root than heap[j].
func (s *selector) worse(i, j int) bool { return s.heap[j].beats(s.heap[i]) }

func (s *selector) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.worse(i, p) {
			return
		}
		s.heap[i], s.heap[p] = s.heap[p], s.heap[i]
		i = p
	}
}

func (s *selector) down(i int) {
	n := len(s.heap)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && s.worse(c+1, c) {
			c++
		}
		if !s.worse(c, i) {
			return
		}
		s.heap[i], s.heap[c] = s.heap[c], s.heap[i]
		i = c
	}
}

// sorted returns the kept hits, best first.
func (s *selector) sorted() []hit {
	out := append([]hit(nil), s.heap...)
	slices.SortFunc(out, func(a, b hit) int {
		switch {
		case a.beats(b):
			return -1
		case b.beats(a):
			return 1
		}
		return 0
	})
	return out
}

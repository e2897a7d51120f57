package embedding

import (
	"context"
	"fmt"

	"github.com/sandhost/sandhost/registry"
)

// Metrics of SimilarityRequest.
const (
	MetricCosine = "cosine"
	MetricDot    = "dot"
)

// DefaultTopK is the number of results per query when a request gives none.
const DefaultTopK = 10

// SimilarityRequest is the payload of "similarity".
type SimilarityRequest struct {
	Queries Matrix `json:"queries"`
	// Corpus is searched instead of the stored corpus when given.
	Corpus *Matrix `json:"corpus,omitempty"`
	TopK   int     `json:"top_k,omitempty"`  // default DefaultTopK; at most the corpus's rows
	Metric string  `json:"metric,omitempty"` // "cosine" (default) or "dot"
}

// SimilarityResult holds, per query, the best corpus rows best first:
// Indices[i][r] is the corpus row of rank r for query i and Scores[i][r]
// its score. Of equal scores the lower index ranks first.
type SimilarityResult struct {
	Scores  [][]float32 `json:"scores"`
	Indices [][]int     `json:"indices"`
}

// Similarity finds each query's top_k corpus rows by cosine similarity or
// dot product.
func (s *Service) Similarity(ctx context.Context, req SimilarityRequest) (SimilarityResult, error) {
	if s.isClosed() { // a closed service says so whatever it is asked
		return SimilarityResult{}, ErrClosed
	}
	if err := req.Queries.check("queries"); err != nil {
		return SimilarityResult{}, err
	}
	if req.Queries.Empty() {
		return SimilarityResult{}, fmt.Errorf("%w: similarity: no queries", registry.ErrInvalid)
	}
	normalize := true
	switch req.Metric {
	case "", MetricCosine:
	case MetricDot:
		normalize = false
	default:
		return SimilarityResult{}, fmt.Errorf("%w: metric %q: want %q or %q", registry.ErrInvalid, req.Metric, MetricCosine, MetricDot)
	}
	k := req.TopK
	if k == 0 {
		k = DefaultTopK
	}
	if k < 0 {
		return SimilarityResult{}, fmt.Errorf("%w: top_k %d", registry.ErrInvalid, k)
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return SimilarityResult{}, ErrClosed
	}
	c := s.stored
	if req.Corpus != nil {
		if err := req.Corpus.check("corpus"); err != nil {
			return SimilarityResult{}, err
		}
		if req.Corpus.Empty() {
			return SimilarityResult{}, fmt.Errorf("%w: similarity: empty corpus", registry.ErrInvalid)
		}
		var err error
		if c, err = s.eng.prepare(ctx, *req.Corpus); err != nil {
			return SimilarityResult{}, err
		}
		defer s.eng.release(c)
	}
	if c == nil {
		return SimilarityResult{}, fmt.Errorf("%w: similarity: no corpus given and none loaded", registry.ErrInvalid)
	}
	if c.m.Cols != req.Queries.Cols {
		return SimilarityResult{}, fmt.Errorf("%w: queries have %d dimensions, the corpus %d", registry.ErrInvalid, req.Queries.Cols, c.m.Cols)
	}
	q := req.Queries
	if normalize {
		q = normalized(q)
	}
	hits, err := s.eng.topK(ctx, q, c, normalize, min(k, c.m.Rows))
	if err != nil {
		return SimilarityResult{}, err
	}
	res := SimilarityResult{Scores: make([][]float32, len(hits)), Indices: make([][]int, len(hits))}
	for i, hs := range hits {
		res.Scores[i] = make([]float32, len(hs))
		res.Indices[i] = make([]int, len(hs))
		for r, h := range hs {
			res.Scores[i][r], res.Indices[i][r] = h.score, int(h.index)
		}
	}
	return res, nil
}

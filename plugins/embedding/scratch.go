package embedding

import (
	"errors"

	"github.com/sandhost/sandhost/plugins/embedding/internal/cuda"
)

// scratch is the GPU engine's per-call device memory, kept between calls
// (an allocation costs far more than a batch's arithmetic at small sizes)
// and grown when a call needs more. Used inside the context's Do only.
type scratch struct {
	queries, scores cuda.DevicePtr
	candS, candI    [2]cuda.DevicePtr
	sizes           [3]int // bytes of queries, scores, and each candidate buffer
}

// ensure makes the buffers at least the given sizes in bytes.
func (s *scratch) ensure(g *cuda.Current, queryBytes, scoreBytes, candBytes int) (*scratch, error) {
	grow := func(p []*cuda.DevicePtr, have *int, need int) error {
		if need <= *have {
			return nil
		}
		for _, ptr := range p {
			if err := g.Free(*ptr); err != nil {
				return err
			}
			*ptr = 0
		}
		*have = 0
		for _, ptr := range p {
			var err error
			if *ptr, err = g.Alloc(need); err != nil {
				return err
			}
		}
		*have = need
		return nil
	}
	if err := grow([]*cuda.DevicePtr{&s.queries}, &s.sizes[0], queryBytes); err != nil {
		return nil, err
	}
	if err := grow([]*cuda.DevicePtr{&s.scores}, &s.sizes[1], scoreBytes); err != nil {
		return nil, err
	}
	if err := grow([]*cuda.DevicePtr{&s.candS[0], &s.candS[1], &s.candI[0], &s.candI[1]}, &s.sizes[2], candBytes); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *scratch) free(g *cuda.Current) error {
	var errs []error
	for _, p := range []*cuda.DevicePtr{&s.queries, &s.scores, &s.candS[0], &s.candS[1], &s.candI[0], &s.candI[1]} {
		errs = append(errs, g.Free(*p))
		*p = 0
	}
	s.sizes = [3]int{}
	return errors.Join(errs...)
}

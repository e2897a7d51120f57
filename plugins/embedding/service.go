package embedding

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sandhost/sandhost/registry"
)

// FactoryName is the name the factory is registered under.
const FactoryName = "embedding"

// Every host can run the factory: without a GPU it computes on the CPU.
// A registration that needs a GPU says so with WithResources(GPUs: 1) and
// is placed on a host that advertises one.
func init() {
	registry.RegisterFactory(FactoryName, registry.FactoryOf(func(ctx context.Context, a Args) (registry.Service, error) {
		s, err := New(ctx, a)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return s, nil
	}))
}

// Device choices of [Args].
const (
	DeviceAuto = "auto" // the GPU when the host has one, else the CPU
	DeviceCPU  = "cpu"
	DeviceGPU  = "gpu" // fails with ErrNoGPU where there is none
)

// Args are the constructor arguments of the embedding factory.
type Args struct {
	Device string `json:"device,omitempty"` // "auto" (default), "cpu" or "gpu"
	GPU    int    `json:"gpu,omitempty"`    // device ordinal, default 0
	// Workers is the number of goroutines of the CPU path (default: one per
	// core).
	Workers int `json:"workers,omitempty"`
}

// ErrClosed is returned by calls to a closed service.
var ErrClosed = errors.New("embedding: service closed")

// Service is the embedding service: batched similarity search over a
// stored or given corpus, and matrix products. It is safe for concurrent
// use; on a GPU the device work of concurrent calls runs one at a time.
type Service struct {
	eng     engine
	methods registry.Methods

	loadMu sync.Mutex   // one load at a time, so appends do not race
	mu     sync.RWMutex // guards stored and closed; held for reading by calls
	stored *corpus
	closed bool
}

// New makes a service on the device Args chooses.
func New(ctx context.Context, a Args) (*Service, error) {
	eng, err := newEngine(ctx, a)
	if err != nil {
		return nil, err
	}
	s := &Service{eng: eng}
	s.methods = registry.Methods{
		"load":       registry.JSONMethod(s.Load),
		"similarity": registry.JSONMethod(s.Similarity),
		"matmul":     registry.JSONMethod(s.Matmul),
		"info":       registry.JSONMethod(func(ctx context.Context, _ struct{}) (Info, error) { return s.Info(ctx) }),
	}
	return s, nil
}

func newEngine(ctx context.Context, a Args) (engine, error) {
	switch a.Device {
	case DeviceCPU:
		return newCPUEngine(a.Workers), nil
	case DeviceGPU:
		return newGPUEngine(a.GPU)
	case "", DeviceAuto:
		if n, err := DetectGPUs(ctx); err == nil && n > a.GPU {
			return newGPUEngine(a.GPU)
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return newCPUEngine(a.Workers), nil
	default:
		return nil, fmt.Errorf("%w: device %q: want %q, %q or %q", registry.ErrInvalid, a.Device, DeviceAuto, DeviceCPU, DeviceGPU)
	}
}

// Call implements registry.Service.
func (s *Service) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	return s.methods.Call(ctx, method, payload)
}

// Close frees the stored corpus and, on a GPU, the device memory and the
// context hold. Calls in progress finish first.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	// A load in progress finishes first, freeing what it prepared as it
	// finds the service closed: once the engine has closed, nothing could
	// free a corpus it put on the device.
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eng.release(s.stored)
	s.stored = nil
	return s.eng.close()
}

// Info describes the service: "info" method.
type Info struct {
	Device     string `json:"device"` // "cpu" or "gpu:N NAME"
	CorpusRows int    `json:"corpus_rows"`
	Dim        int    `json:"dim"`
}

// Info says where the service computes and what corpus it holds.
func (s *Service) Info(context.Context) (Info, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Info{}, ErrClosed
	}
	in := Info{Device: s.eng.name()}
	if s.stored != nil {
		in.CorpusRows, in.Dim = s.stored.m.Rows, s.stored.m.Cols
	}
	return in, nil
}

// LoadRequest is the payload of "load": the corpus later similarity calls
// search when they give none.
type LoadRequest struct {
	Corpus Matrix `json:"corpus"`
	// Append adds the rows to the stored corpus (in chunks that fit a
	// message) instead of replacing it; the dimensions must agree.
	Append bool `json:"append,omitempty"`
}

// LoadResult is the stored corpus's shape after a load.
type LoadResult struct {
	Rows int `json:"rows"`
	Dim  int `json:"dim"`
}

// Load stores a corpus, replacing or extending the one stored before.
func (s *Service) Load(ctx context.Context, req LoadRequest) (LoadResult, error) {
	if err := req.Corpus.check("corpus"); err != nil {
		return LoadResult{}, err
	}
	if req.Corpus.Empty() {
		return LoadResult{}, fmt.Errorf("%w: load: empty corpus", registry.ErrInvalid)
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	m := req.Corpus
	s.mu.RLock()
	old, closed := s.stored, s.closed
	s.mu.RUnlock()
	if closed {
		return LoadResult{}, ErrClosed
	}
	if req.Append {
		if old != nil {
			if old.m.Cols != m.Cols {
				return LoadResult{}, fmt.Errorf("%w: append: corpus has %d dimensions, rows have %d", registry.ErrInvalid, old.m.Cols, m.Cols)
			}
			data := make([]float32, 0, len(old.m.Data)+len(m.Data))
			m = Matrix{Rows: old.m.Rows + m.Rows, Cols: m.Cols, Data: append(append(data, old.m.Data...), m.Data...)}
		}
	}
	c, err := s.eng.prepare(ctx, m)
	if err != nil {
		return LoadResult{}, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.eng.release(c)
		return LoadResult{}, ErrClosed
	}
	replaced := s.stored
	s.stored = c
	s.mu.Unlock()
	s.eng.release(replaced)
	return LoadResult{Rows: m.Rows, Dim: m.Cols}, nil
}

func (s *Service) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

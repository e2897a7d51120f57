package embedding

import (
	"context"
	"sync"
	"testing"
	"time"
)

// gatedEngine is a CPU engine whose prepare waits for the test, and which
// records a corpus released after the engine closed (on a GPU, device
// memory nobody can free any more).
type gatedEngine struct {
	engine
	preparing, proceed chan struct{}
	mu                 sync.Mutex
	closed             bool
	lateReleases       int
}

func (g *gatedEngine) prepare(ctx context.Context, m Matrix) (*corpus, error) {
	close(g.preparing)
	<-g.proceed
	return g.engine.prepare(ctx, m)
}

func (g *gatedEngine) release(c *corpus) {
	g.mu.Lock()
	if g.closed && c != nil {
		g.lateReleases++
	}
	g.mu.Unlock()
	g.engine.release(c)
}

func (g *gatedEngine) close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	return g.engine.close()
}

// Close while a load is under way refuses new calls at once, waits for the
// load, and the corpus it prepared is freed before the engine closes: it
// used to close the engine first, and the load then released its corpus
// into a closed context (device memory nobody could free).
func TestCloseDuringLoadFreesTheCorpus(t *testing.T) {
	g := &gatedEngine{engine: newCPUEngine(1), preparing: make(chan struct{}), proceed: make(chan struct{})}
	s := &Service{eng: g}
	loaded := make(chan error, 1)
	go func() {
		_, err := s.Load(context.Background(), LoadRequest{Corpus: Matrix{Rows: 1, Cols: 2, Data: []float32{1, 2}}})
		loaded <- err
	}()
	<-g.preparing
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.isClosed() {
		time.Sleep(time.Millisecond) // polling a condition, not timing
	}
	close(g.proceed)
	loadErr := <-loaded
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if g.lateReleases > 0 {
		t.Fatalf("a corpus was released after the engine closed (load: %v)", loadErr)
	}
}

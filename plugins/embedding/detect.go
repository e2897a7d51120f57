package embedding

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandhost/sandhost/plugins/embedding/internal/cuda"
)

// ErrNoGPU means a GPU was asked for and this host has none usable: no
// NVIDIA driver, a driver that fails to initialise, or fewer devices than
// the ordinal asked for. The message says which.
var ErrNoGPU = errors.New("embedding: no usable GPU")

// DetectGPUs returns the number of NVIDIA GPUs the CUDA driver sees, for a
// host to advertise (registry.WithHostResources). Where there are none it
// returns 0 and an error wrapping ErrNoGPU that says why (no driver is the
// usual case, not a fault). The driver is loaded and initialised on the
// first call, which can take a second or more; ctx bounds the wait, not
// the initialisation.
func DetectGPUs(ctx context.Context) (int, error) {
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := cuda.Load()
		if err != nil {
			done <- result{0, fmt.Errorf("%w: %w", ErrNoGPU, err)}
			return
		}
		if d.DeviceCount() == 0 {
			done <- result{0, fmt.Errorf("%w: the CUDA driver (version %d) found no device", ErrNoGPU, d.Version())}
			return
		}
		done <- result{d.DeviceCount(), nil}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

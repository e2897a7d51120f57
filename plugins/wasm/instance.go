package wasm

import (
	"context"
	"fmt"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
)

// instance is one Extism instance and what it wrote to stderr in its
// current call.
type instance struct {
	ext    *extism.Plugin
	stderr *tailBuffer
}

// newInstance starts an instance of the compiled plugin.
func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	stderr := &tailBuffer{max: 4 << 10}
	ext, err := p.compiled.Instance(ctx, extism.PluginInstanceConfig{
		ModuleConfig: wazero.NewModuleConfig().WithStderr(stderr),
	})
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	return &instance{ext: ext, stderr: stderr}, nil
}

func (i *instance) close() { i.ext.Close(context.Background()) }

// tailBuffer keeps the first max bytes written to it: enough to see why a
// guest died, never the memory of a guest that prints forever. Written
// only by the goroutine running the instance's call.
type tailBuffer struct {
	b   []byte
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	if room := t.max - len(t.b); room > 0 {
		t.b = append(t.b, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (t *tailBuffer) reset()         { t.b = t.b[:0] }
func (t *tailBuffer) String() string { return string(t.b) }

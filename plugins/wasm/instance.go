package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// instance is one Extism instance and what it wrote to stderr in its
// current call.
type instance struct {
	ext    *extism.Plugin
	stderr *stderrLog
	// exited: the guest ended its module (WASI proc_exit), which Extism
	// reports as a success when the status is 0; the instance cannot run
	// again.
	exited atomic.Bool
}

// newInstance starts an instance of the compiled plugin.
func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	inst := &instance{stderr: &stderrLog{}}
	// wazero tells the modules' close, proc_exit's included, to the
	// notifier they were instantiated with; Extism exposes neither that nor
	// the module's IsClosed.
	ctx = experimental.WithCloseNotifier(ctx, experimental.CloseNotifyFunc(func(context.Context, uint32) {
		inst.exited.Store(true)
	}))
	var err error
	inst.ext, err = p.compiled.Instance(ctx, extism.PluginInstanceConfig{
		ModuleConfig: wazero.NewModuleConfig().WithStderr(inst.stderr),
	})
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	if p.init == "" {
		return inst, nil
	}
	// Under the start's context (New's, a waiting caller's, a refill's),
	// never a call's timeout.
	if _, _, err = inst.ext.CallWithContext(ctx, p.init, nil); err == nil && inst.exited.Load() {
		err = errors.New("the guest exited")
	}
	if err != nil {
		if tail := strings.TrimSpace(inst.stderr.String()); tail != "" {
			err = fmt.Errorf("%w; stderr: %s", err, tail)
		}
		inst.close()
		return nil, fmt.Errorf("initialise: %w", err)
	}
	return inst, nil
}

func (i *instance) close() { i.ext.Close(context.Background()) }

// stderrLog keeps what a guest writes to stderr during a call, for the
// call's error: the first headKeep and the last tailKeep bytes (a guest
// that logged much before it died is explained by its last words; one that
// prints forever costs no more memory). Whether the guest ran out of memory
// is decided as it writes, since its words may fall in neither part.
// Written only by the goroutine running the instance's call.
type stderrLog struct {
	head, tail []byte // tail holds up to 2*tailKeep bytes, shown from its end
	skipped    int    // bytes between head and tail no longer held
	oom        bool
	seam       []byte // the end of the last write, for a phrase split between writes
}

const (
	headKeep = 1 << 10
	tailKeep = 4 << 10
	seamKeep = 32 // longer than the phrases outOfMemory looks for
)

func (s *stderrLog) Write(b []byte) (int, error) {
	n := len(b)
	s.watch(b)
	if room := headKeep - len(s.head); room > 0 {
		k := min(room, len(b))
		s.head = append(s.head, b[:k]...)
		b = b[k:]
	}
	if len(b) >= tailKeep {
		s.skipped += len(s.tail) + len(b) - tailKeep
		s.tail = append(s.tail[:0], b[len(b)-tailKeep:]...)
		return n, nil
	}
	s.tail = append(s.tail, b...)
	if over := len(s.tail) - tailKeep; over > tailKeep { // slide now and then, not on every write
		s.skipped += over
		s.tail = append(s.tail[:0], s.tail[over:]...)
	}
	return n, nil
}

// watch looks for the guest runtime's words for a failed memory.grow in b
// and across the seam with the previous write.
func (s *stderrLog) watch(b []byte) {
	if s.oom {
		return
	}
	var buf [2 * seamKeep]byte
	joined := append(append(buf[:0], s.seam...), b[:min(len(b), seamKeep)]...)
	s.oom = outOfMemory(joined) || outOfMemory(b)
	if len(b) >= seamKeep {
		s.seam = append(s.seam[:0], b[len(b)-seamKeep:]...)
	} else {
		s.seam = append(s.seam[:0], joined[len(joined)-min(len(joined), seamKeep):]...)
	}
}

// outOfMemory recognises the guest runtimes' words for a failed
// memory.grow: Go's "out of memory", Rust's "memory allocation of N bytes
// failed". wazero only makes memory.grow return -1 at the limit, so the
// guest's own report is the signal.
func outOfMemory(b []byte) bool {
	return bytes.Contains(b, []byte("out of memory")) || bytes.Contains(b, []byte("memory allocation of"))
}

func (s *stderrLog) reset() {
	s.head, s.tail, s.seam = s.head[:0], s.tail[:0], s.seam[:0]
	s.skipped, s.oom = 0, false
}

// String is the head and the tail, with how much was left out between.
func (s *stderrLog) String() string {
	tail, skipped := s.tail, s.skipped
	if over := len(tail) - tailKeep; over > 0 {
		tail, skipped = tail[over:], skipped+over
	}
	if skipped == 0 {
		return string(s.head) + string(tail)
	}
	return fmt.Sprintf("%s\n[… %d bytes …]\n%s", s.head, skipped, tail)
}

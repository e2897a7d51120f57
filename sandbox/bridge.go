package sandbox

import (
	"context"
	"sync/atomic"
)

// BridgeDir and BridgeName are where a guest finds its bridge
// (InstanceConfig.Bridge): the file /dev/sandhost, alone in a directory of
// its own. Without a bridge the directory does not exist.
const (
	BridgeDir  = "/dev"
	BridgeName = "sandhost"
)

// Bridge answers a guest's requests while it runs. The guest opens
// BridgeDir/BridgeName, writes one request in one write, and reads the
// answer back (then the next request); each open file has its own answer.
// Bridge runs inside the guest's write, on the goroutine of the guest's
// call, with that call's context: it must return when ctx ends; the
// guest's write then fails, and the guest is stopped as at any deadline.
// request is the guest's own memory, not a copy: it is valid only until
// Bridge returns (the instance may then be closed and its memory freed),
// so work that may outlive the call must copy what it keeps of it.
type Bridge func(ctx context.Context, request []byte) (answer []byte)

// bridge is an instance's Bridge and the context of the call running now
// (set around every call, as the sleeper's done channel is).
type bridge struct {
	answer Bridge
	ctx    atomic.Pointer[context.Context]
}

func newBridge(b Bridge) *bridge {
	if b == nil {
		return nil
	}
	return &bridge{answer: b}
}

// set records the running call's context; nil between calls.
func (b *bridge) set(ctx context.Context) {
	if b == nil {
		return
	}
	if ctx == nil {
		b.ctx.Store(nil)
		return
	}
	b.ctx.Store(&ctx)
}

// request answers one request from the guest; false refuses it (the
// guest's write fails). Between calls there is nothing to answer with, and
// an answer made after the call's end is never delivered: the engines stop
// a guest at its next check, not at once, so it could still read one.
func (b *bridge) request(req []byte) ([]byte, bool) {
	p := b.ctx.Load()
	if p == nil {
		return nil, false
	}
	ctx := *p
	answer := b.answer(ctx, req)
	if ctx.Err() != nil {
		return nil, false
	}
	return answer, true
}

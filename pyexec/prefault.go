package pyexec

import (
	"context"
	"fmt"
)

// A clone's first call used to fault in, one 4 KiB page at a time, every
// snapshot page it wrote: 200–350 faults, 8–15 ms of kernel time on a VM
// where a fault costs ~100 µs, paid again by every replacement and every
// fresh call. learnPrefault runs calls like a scorer's on one clone, reads
// which snapshot pages they wrote, and has every later clone copy those in
// one madvise when it is made (off the caller's path for pooled ones).

// prefaultLesson is what the learning clone runs, each as an isolated call:
// what most calls do (define, loop, compare, assert, print, import from the
// stdlib), and the failures scored code often ends in (an assertion, a
// NameError with its suggestion, a traceback).
var prefaultLesson = []string{
	"import re, math, collections, itertools, functools\n" +
		"def f(xs):\n    return sorted(set(x * 2 for x in xs))\n" +
		"assert f([3, 1, 2, 3]) == [2, 4, 6]\n" +
		"print(f'{math.sqrt(16):.1f}', re.sub(r'a+', 'b', 'caat'), collections.Counter('abca').most_common(1))\n",
	"class A:\n    def __init__(self, v):\n        self.v = v\nd = {str(i): A(i) for i in range(100)}\nassert d['5'].v == 6\n",
	"undefined_name_in_lesson\n",
	"def g(n):\n    return g(n - 1) if n else 1 / n\ng(20)\n",
}

// learnPrefault teaches the snapshot which pages to copy up front. A pool
// works without it (the learnt set only saves faults), so failures are
// logged, not returned.
func (p *Pool) learnPrefault(ctx context.Context) {
	if p.snap.cow == nil {
		return
	}
	it, err := p.clone(ctx)
	if err != nil {
		p.opts.Logger.Warn("pyexec: no prefault set learnt", "err", err)
		return
	}
	defer it.close()
	for _, code := range prefaultLesson {
		if _, err := it.exec(ctx, code, 1<<16, true); err != nil {
			p.opts.Logger.Warn("pyexec: no prefault set learnt", "err", fmt.Errorf("lesson: %w", err))
			return
		}
	}
	pages, err := it.inst.WrittenSnapshotPages()
	if err != nil {
		p.opts.Logger.Debug("pyexec: no prefault set learnt", "err", err)
		return
	}
	p.snap.cow.SetPrefault(pages)
	p.opts.Logger.Debug("pyexec: clones prefault the pages a call writes", "pages", len(pages))
}

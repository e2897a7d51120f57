package pyexec

import (
	"fmt"
	"strings"

	"github.com/sandhost/sandhost/sandbox"
)

// putFiles places a call's input files in the interpreter's /tmp: all of
// them or, when they would not fit its cap together, none.
func (p *Pool) putFiles(it *interp, files map[string][]byte) error {
	if len(files) == 0 {
		return nil
	}
	var total int64
	for _, b := range files {
		total += int64(len(b))
	}
	if total > p.opts.ScratchSize {
		return fmt.Errorf("input files of %d bytes exceed /tmp's cap of %d bytes", total, p.opts.ScratchSize)
	}
	sc := it.inst.Scratch()
	for name, b := range files {
		if err := sc.WriteFile(name, b); err != nil {
			return err
		}
	}
	return nil
}

// getFiles reads back the output files asked for that exist, are regular
// and fit the pool's FileCap, by name relative to /tmp.
func (p *Pool) getFiles(sc *sandbox.Scratch, names []string) map[string][]byte {
	if len(names) == 0 {
		return nil
	}
	out := map[string][]byte{}
	for _, name := range names {
		if b, err := sc.ReadFile(name, p.opts.FileCap); err == nil {
			out[strings.TrimPrefix(name, "/tmp/")] = b
		}
	}
	return out
}

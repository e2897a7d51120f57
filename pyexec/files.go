package pyexec

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sandhost/sandhost/sandbox"
)

// putFiles places a call's input files in the interpreter's /tmp: all of
// them or none. Names and the total size are checked before anything is
// written; written is false when an error left nothing in /tmp, true when
// some files were written before a write failed (/tmp filled up), and the
// interpreter must then not serve another call.
func (p *Pool) putFiles(it *interp, files map[string][]byte) (written bool, err error) {
	if len(files) == 0 {
		return false, nil
	}
	var total int64
	for name, b := range files {
		if !filepath.IsLocal(strings.TrimPrefix(name, "/tmp/")) {
			return false, fmt.Errorf("%w: %q", sandbox.ErrOutsideScratch, name)
		}
		total += int64(len(b))
	}
	if total > p.opts.ScratchSize {
		return false, fmt.Errorf("input files of %d bytes exceed /tmp's cap of %d bytes", total, p.opts.ScratchSize)
	}
	sc := it.inst.Scratch()
	for name, b := range files {
		if err := sc.WriteFile(name, b); err != nil {
			return written, err
		}
		written = true
	}
	return written, nil
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

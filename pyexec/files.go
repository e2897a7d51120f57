package pyexec

import (
	"errors"
	"fmt"
	"io/fs"
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
		if outsideTmp(name) {
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

// checkOutputNames refuses, before the code runs, an output file named
// outside /tmp: it could never be returned.
func checkOutputNames(names []string) error {
	for _, name := range names {
		if outsideTmp(name) {
			return fmt.Errorf("output file: %w: %q", sandbox.ErrOutsideScratch, name)
		}
	}
	return nil
}

// outsideTmp says whether a file name (relative to /tmp, or under /tmp/)
// is not a file of /tmp.
func outsideTmp(name string) bool {
	rel := strings.TrimPrefix(name, "/tmp/")
	return !filepath.IsLocal(rel) || filepath.Clean(rel) == "."
}

// getFiles reads back the output files asked for that exist, are regular
// and fit the pool's FileCap, by name relative to /tmp. For one that exists
// but cannot be returned, notes says why (a missing file is no news: the
// caller sees it absent).
func (p *Pool) getFiles(sc *sandbox.Scratch, names []string) (files map[string][]byte, notes string) {
	if len(names) == 0 {
		return nil, ""
	}
	files = map[string][]byte{}
	for _, name := range names {
		b, err := sc.ReadFile(name, p.opts.FileCap)
		switch {
		case err == nil:
			files[strings.TrimPrefix(name, "/tmp/")] = b
		case !errors.Is(err, fs.ErrNotExist):
			notes += fmt.Sprintf("[output file not returned: %v]\n", err)
		}
	}
	return files, notes
}

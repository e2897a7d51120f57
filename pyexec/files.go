package pyexec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sandhost/sandhost/sandbox"
)

// scratchPath maps a file name given by a caller to its host path in the
// scratch directory, refusing anything that is not inside it.
func scratchPath(sc *sandbox.Scratch, name string) (string, error) {
	rel := strings.TrimPrefix(name, "/tmp/")
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("file name %q is not inside /tmp", name)
	}
	return filepath.Join(sc.Dir, rel), nil
}

// putFiles places a call's input files in the interpreter's /tmp.
func (p *Pool) putFiles(it *interp, files map[string][]byte) error {
	if len(files) == 0 {
		return nil
	}
	sc := it.inst.Scratch()
	var total int64
	for _, b := range files {
		total += int64(len(b))
	}
	if total > p.opts.ScratchSize {
		return fmt.Errorf("input files of %d bytes exceed /tmp's cap of %d bytes", total, p.opts.ScratchSize)
	}
	for name, b := range files {
		hp, err := scratchPath(sc, name)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(hp, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// getFiles reads back the output files asked for that exist, are regular
// and fit the pool's FileCap.
func (p *Pool) getFiles(sc *sandbox.Scratch, names []string) map[string][]byte {
	if len(names) == 0 {
		return nil
	}
	out := map[string][]byte{}
	for _, name := range names {
		hp, err := scratchPath(sc, name)
		if err != nil {
			continue
		}
		st, err := os.Lstat(hp)
		if err != nil || !st.Mode().IsRegular() || st.Size() > p.opts.FileCap {
			continue
		}
		if b, err := os.ReadFile(hp); err == nil {
			out[strings.TrimPrefix(name, "/tmp/")] = b
		}
	}
	return out
}

package dropin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sandhost/sandhost/registry"
)

// pluginName is the plugin a file of the directory belongs to (NAME of
// NAME.wasm and of its settings file), or "" for any other file: hidden
// files and editors' backups and swap files are not plugins.
func pluginName(path string) string {
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") {
		return ""
	}
	ext := filepath.Ext(base)
	if ext != ".wasm" && !slices.Contains(manifestExts, ext) {
		return ""
	}
	return strings.TrimSuffix(base, ext)
}

// list returns the plugin names the directory's files belong to, sorted.
func (d *Dir) list() ([]string, error) {
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if name := pluginName(e.Name()); name != "" && !e.IsDir() && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// fingerprint identifies the state of a plugin's files cheaply (names,
// sizes, modification times), to tell whether they changed.
type fingerprint string

func (d *Dir) fingerprint(name string) fingerprint {
	var b strings.Builder
	for _, ext := range append([]string{".wasm"}, manifestExts...) {
		if fi, err := os.Stat(filepath.Join(d.dir, name+ext)); err == nil {
			fmt.Fprintf(&b, "%s %d %d %v;", ext, fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
		}
	}
	return fingerprint(b.String())
}

// files are a plugin's module and settings as read.
type files struct {
	moduleFile   string
	module       []byte // nil: no module (the plugin is gone)
	manifestFile string // "": none
	manifest     []byte
}

// key identifies what a version is built from.
func (f files) key() string {
	h := sha256.New()
	h.Write(f.module)
	fmt.Fprintf(h, "\x00%s\x00", filepath.Ext(f.manifestFile))
	h.Write(f.manifest)
	return hex.EncodeToString(h.Sum(nil))
}

// read reads a plugin's files. A missing module is not an error (files
// with a nil module); two settings files are.
func (d *Dir) read(name string) (files, error) {
	f := files{moduleFile: filepath.Join(d.dir, name+".wasm")}
	m, err := os.ReadFile(f.moduleFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return f, err
	}
	f.module = m // never nil once read, even empty
	for _, ext := range manifestExts {
		file := filepath.Join(d.dir, name+ext)
		b, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return f, err
		}
		if f.manifestFile != "" {
			return f, fmt.Errorf("%w: two settings files for %s: %s and %s", registry.ErrInvalid, name, filepath.Base(f.manifestFile), name+ext)
		}
		f.manifestFile, f.manifest = file, b
	}
	return f, nil
}

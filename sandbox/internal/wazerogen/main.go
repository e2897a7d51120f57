// Command wazerogen writes the sandbox's wazero adapters from its wazy ones,
// which are the only source: wazy keeps wazero's API, but the two packages'
// types are distinct and Go cannot abstract over a package (RATIONALE.md,
// "One engine adapter, generated for the other engine"). Run it with
// `go generate ./sandbox`; its test fails while a generated file differs
// from what its source generates.
//
// It is a program of its own, not part of package sandbox, so it runs even
// when an edited source no longer compiles beside the old generated file.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", ".", "the sandbox package's directory")
	flag.Parse()
	for _, v := range variants {
		out, err := v.generateFrom(*dir)
		if err != nil {
			log.Fatal(err)
		}
		dst := filepath.Join(*dir, v.dst)
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, out) {
			continue
		}
		if err := os.WriteFile(dst, out, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// generateFrom reads the variant's source in dir and generates its file.
func (v variant) generateFrom(dir string) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(dir, v.src))
	if err != nil {
		return nil, err
	}
	return v.generate(src)
}

// variant is one generated file: its source, the import paths it maps, and
// the few places where the engines' APIs differ, each an exact text edit
// that must match once.
type variant struct {
	src, dst string
	imports  map[string]string // wazy import path -> wazero import path
	edits    []edit
}

type edit struct{ old, new string }

var variants = []variant{
	{
		src: "engine_wazy.go", dst: "zengine_wazero.go",
		imports: map[string]string{
			"github.com/samyfodil/wazy":                                "github.com/tetratelabs/wazero",
			"github.com/samyfodil/wazy/api":                            "github.com/tetratelabs/wazero/api",
			"github.com/samyfodil/wazy/imports/wasi_snapshot_preview1": "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1",
			"github.com/samyfodil/wazy/sys":                            "github.com/tetratelabs/wazero/sys",
		},
		edits: []edit{
			{`	// wazy checks for termination in compiled code always, so a deadline
	// stops even a loop inside C, at no cost to guest speed.
	rc := wazy.NewRuntimeConfig().WithMemoryLimitPages(pages)
`, `	// wazero stops guest code at a deadline only with close-on-context-done,
	// which adds a check to every loop and function and slows guest code
	// (see RATIONALE.md).
	rc := wazero.NewRuntimeConfig().WithMemoryLimitPages(pages).WithCloseOnContextDone(true)
`},
			// wazero keeps sys.FS mounts and the memory allocator hook in
			// its experimental packages.
			{`	"github.com/tetratelabs/wazero/api"
`, `	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	wsysfs "github.com/tetratelabs/wazero/experimental/sysfs"
`},
			{`fsc = fsc.WithSysFSMount(newWazyScratchFS(`, `fsc = fsc.(wsysfs.FSConfig).WithSysFSMount(newWazyScratchFS(`},
			{`fsc = fsc.WithSysFSMount(newWazyBridgeFS(`, `fsc = fsc.(wsysfs.FSConfig).WithSysFSMount(newWazyBridgeFS(`},
			{`fsc = fsc.WithSysFSMount(newWazyReadOnlyFS(`, `fsc = fsc.(wsysfs.FSConfig).WithSysFSMount(newWazyReadOnlyFS(`},
			{`api.WithMemoryAllocator(ctx, api.MemoryAllocatorFunc(func(_, max uint64) api.LinearMemory {`,
				`experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {`},
		},
	},
	{
		src: "bridge_wazy.go", dst: "zbridge_wazero.go",
		imports: map[string]string{
			"github.com/samyfodil/wazy/sys": "github.com/tetratelabs/wazero/experimental/sys",
		},
		edits: []edit{
			// wazero's stat record is in its non-experimental sys package.
			{`wsys "github.com/tetratelabs/wazero/experimental/sys"
`, `wsys "github.com/tetratelabs/wazero/experimental/sys"
	wstat "github.com/tetratelabs/wazero/sys"
`},
			{`type wazyStat = wsys.Stat_t`, `type wazyStat = wstat.Stat_t`},
		},
	},
	{
		src: "readonly_wazy.go", dst: "zreadonly_wazero.go",
		imports: map[string]string{
			"github.com/samyfodil/wazy/sys":   "github.com/tetratelabs/wazero/experimental/sys",
			"github.com/samyfodil/wazy/sysfs": "github.com/tetratelabs/wazero/experimental/sysfs",
		},
	},
	{
		src: "scratch_wazy.go", dst: "zscratch_wazero.go",
		imports: map[string]string{
			"github.com/samyfodil/wazy/sys":   "github.com/tetratelabs/wazero/experimental/sys",
			"github.com/samyfodil/wazy/sysfs": "github.com/tetratelabs/wazero/experimental/sysfs",
		},
	},
}

// generate makes a variant's file from its source: import paths mapped,
// the edits applied, then every "wazy"/"Wazy" in names and comments
// renamed to "wazero"/"Wazero". It fails where a mapping or an edit does
// not apply exactly, so a source change that the table does not cover is
// noticed rather than copied wrongly.
func (v variant) generate(src []byte) ([]byte, error) {
	s := string(src)
	// The source's note to its editors is replaced by the generated header.
	note := "// This file is the one source of "
	if i := strings.Index(s, note); i >= 0 {
		end := strings.Index(s[i:], "\n\n")
		if end < 0 {
			return nil, fmt.Errorf("%s: the generation note does not end in a blank line", v.src)
		}
		s = s[:i] + s[i+end+2:]
	}
	for from, to := range v.imports {
		q := `"` + from + `"` + "\n"
		if n := strings.Count(s, q); n != 1 {
			return nil, fmt.Errorf("%s: import %q found %d times, want 1", v.src, from, n)
		}
		s = strings.Replace(s, q, `"`+to+`"`+"\n", 1)
	}
	// Renaming is last, so the edits name wazero's identifiers where they
	// add them and wazy's where they replace them.
	for _, e := range v.edits {
		if n := strings.Count(s, e.old); n != 1 {
			return nil, fmt.Errorf("%s: edit %q matches %d times, want 1", v.src, firstLine(e.old), n)
		}
		s = strings.Replace(s, e.old, e.new, 1)
	}
	s = strings.NewReplacer("wazy", "wazero", "Wazy", "Wazero").Replace(s)
	if strings.Contains(s, "samyfodil") {
		return nil, fmt.Errorf("%s: an import of wazy has no wazero mapping", v.src)
	}
	s = fmt.Sprintf("// Code generated from %s by sandbox/internal/wazerogen; DO NOT EDIT.\n\n", v.src) + s
	out, err := format.Source([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("%s: generated code does not parse: %w", v.dst, err)
	}
	return out, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + "…"
	}
	return s
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The generated wazero adapters are what their wazy sources generate:
// nobody edited one side only.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	dir := filepath.Join("..", "..")
	for _, v := range variants {
		want, err := v.generateFrom(dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, v.dst))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what %s generates: edit %s and run go generate ./sandbox", v.dst, v.src, v.src)
		}
	}
}

// A source change that the table of edits does not cover fails the
// generation instead of being copied wrongly.
func TestGenerationRefusesWhatItCannotMap(t *testing.T) {
	v := variants[0]
	src, err := os.ReadFile(filepath.Join("..", "..", v.src))
	if err != nil {
		t.Fatal(err)
	}
	for name, broken := range map[string][]byte{
		"an edit that no longer matches": bytes.Replace(src, []byte("fsc = fsc.WithSysFSMount("), []byte("fsc = fsc.WithFSMount("), 1),
		"an import with no mapping":      bytes.Replace(src, []byte("import (\n"), []byte("import (\n\t_ \"github.com/samyfodil/wazy/experimental\"\n"), 1),
	} {
		if _, err := v.generate(broken); err == nil {
			t.Errorf("%s: generated anyway", name)
		}
	}
}

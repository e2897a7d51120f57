package wasm_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sandhost/sandhost/plugins/wasm"
)

// Args take sandhost's one wire form: "5s" or seconds, "64MiB" or bytes,
// and are time.Duration and bytes in Go.
func TestArgsWireForm(t *testing.T) {
	var a wasm.Args
	if err := json.Unmarshal([]byte(`{"module_sha256": "ab", "timeout": 0.3, "memory": "32MiB", "instances": 2}`), &a); err != nil {
		t.Fatal(err)
	}
	if a.Timeout != 300*time.Millisecond || a.Memory != 32<<20 || a.Instances != 2 || a.ModuleSHA256 != "ab" {
		t.Fatalf("args read as %+v", a)
	}
	b, err := json.Marshal(wasm.Args{ModuleSHA256: "ab", Timeout: 5 * time.Second, Memory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	json.Unmarshal(b, &back)
	if back["timeout"] != "5s" || back["memory"] != "64MiB" || back["module_sha256"] != "ab" {
		t.Fatalf("args written as %s", b)
	}
}

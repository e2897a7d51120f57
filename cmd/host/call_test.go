package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A payload is the argument after the method, whatever it looks like (-5
// was read as a flag), or comes from standard input or a file, so that it
// can be larger than a command line holds.
func TestCallPayloads(t *testing.T) {
	dsn := startHost(t)
	mustCLI(t, nil, "register", "--redis", dsn, "v", "value", "--args", `{"value": 0}`)
	get := func() string { return strings.TrimSpace(mustCLI(t, nil, "call", "--redis", dsn, "v", "get")) }

	mustCLI(t, nil, "call", "--redis", dsn, "v", "set", "-5")
	if got := get(); got != "-5" {
		t.Fatalf("after set -5, get = %q", got)
	}
	mustCLI(t, nil, "call", "v", "set", "-2.5e3", "--redis", dsn, "--timeout", "30s") // flags after the payload
	if got := get(); got != "-2.5e3" {
		t.Fatalf("after set -2.5e3, get = %q", got)
	}
	mustCLI(t, nil, "call", "--redis", dsn, "v", "set", "--", "-7")
	if got := get(); got != "-7" {
		t.Fatalf("after set -- -7, get = %q", got)
	}

	// 4 MiB from standard input: 32 times what one argument may hold.
	big := `"` + strings.Repeat("x", 4<<20) + `"`
	mustCLI(t, strings.NewReader(big), "call", "--redis", dsn, "v", "set", "-")
	if got := get(); got != big {
		t.Fatalf("after set from stdin, get returned %d bytes, want %d", len(got), len(big))
	}
	file := filepath.Join(t.TempDir(), "payload.json")
	if err := os.WriteFile(file, []byte(`{"from": "file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, nil, "call", "--redis", dsn, "v", "set", "-f", file)
	if got := get(); got != `{"from": "file"}` {
		t.Fatalf("after set -f, get = %q", got)
	}

	wantUsageError(t, []string{"call", "--redis", dsn, "v", "set", "-f", file, "1"}, "give the input once")
	wantUsageError(t, []string{"call", "--redis", dsn, "v", "set", "1", "2"}, "give the input once")
	wantUsageError(t, []string{"call", "--redis", dsn, "v", "set", "-"}, "payload is not valid JSON") // empty stdin
	if _, errOut, code := cli(t, nil, "call", "--redis", dsn, "v", "set", "-f", file+".missing"); code != 1 ||
		!strings.Contains(errOut, "no such file") {
		t.Fatalf("missing payload file: exit %d, %q; want exit 1 naming the error", code, errOut)
	}
}

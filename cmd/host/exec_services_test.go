package main

import (
	"strings"
	"testing"
)

// --allow-service runs the code in a local pool that may call that service
// of the namespace at --redis; another service is refused.
func TestExecAllowService(t *testing.T) {
	needPython(t)
	dsn := startHost(t)
	mustCLI(t, nil, "register", "--redis", dsn, "tok", "tokenizer", "--args", `{"vocab_size": 50000}`)
	mustCLI(t, nil, "register", "--redis", dsn, "other", "tokenizer", "--args", `{"vocab_size": 50000}`)
	got := mustCLI(t, nil, "exec", "--redis", dsn, "--allow-service", "tok", `
import sandhost
print(sandhost.call("tok", "encode", "hi"))
try:
    sandhost.call("other", "encode", "hi")
except sandhost.ServiceRefused as e:
    print("refused", e.service)
`)
	if want := "[104, 105]\nrefused other\n"; got != want {
		t.Fatalf("exec --allow-service tok = %q, want %q", got, want)
	}
}

func TestExecAllowServiceUsage(t *testing.T) {
	dsn := newStore(t)
	wantUsageError(t, []string{"exec", "--allow-service", "tok", "print(1)"}, "--allow-service needs --redis")
	wantUsageError(t, []string{"exec", "--redis", dsn, "--allow-service", "tok", "--service", "py", "print(1)"},
		"--service does not apply with --allow-service")
	if out, _, code := cli(t, nil, "help", "exec"); code != 0 || !strings.Contains(out, "-allow-service NAME") {
		t.Fatalf("help exec does not list --allow-service: %q", out)
	}
}

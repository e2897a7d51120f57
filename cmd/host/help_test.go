package main

import (
	"strings"
	"testing"

	"github.com/sandhost/sandhost/registry"
)

// Help that was asked for is the output: stdout, exit 0 (`host call --help |
// less` works).
func TestHelpAskedForGoesToStdout(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"help", "call"}, {"call", "--help"}, {"call", "-h"}, {"register", "-help"},
		{"exec", "--help"}, {"serve", "--help"}, {"list", "--help"},
	} {
		out, errOut, code := cli(t, nil, args...)
		if code != 0 || !strings.HasPrefix(out, "usage: host") || errOut != "" {
			t.Errorf("host %s: exit %d, stdout %q, stderr %q; want usage on stdout, exit 0",
				strings.Join(args, " "), code, out, errOut)
		}
	}
}

// Usage errors go to stderr with exit 2, and say what was wrong.
func TestUsageErrorsGoToStderr(t *testing.T) {
	t.Setenv("SANDHOST_REDIS", "memory://usage-errors")
	wantUsageError(t, nil, "usage: host COMMAND")
	wantUsageError(t, []string{"frobnicate"}, `unknown command "frobnicate"`)
	wantUsageError(t, []string{"help", "frobnicate"}, `unknown command "frobnicate"`)
	wantUsageError(t, []string{"call", "only-a-name"}, "want NAME METHOD", "usage: host call")
	wantUsageError(t, []string{"list", "--no-such-flag"}, "flag provided but not defined: -no-such-flag", "usage: host list")
	wantUsageError(t, []string{"call", "v", "set", "{not json"}, "payload is not valid JSON")
	wantUsageError(t, []string{"register", "v", "value", "--max-concurrency", "-1"}, "--max-concurrency")
}

// --redis is required by client commands: their help says so (not "empty:
// embedded", which only serve means), and so does the error.
func TestClientCommandsNeedRedis(t *testing.T) {
	t.Setenv("SANDHOST_REDIS", "")
	for _, c := range []string{"list", "get", "call", "register", "reset", "hosts"} {
		help := mustCLI(t, nil, c, "--help")
		if !strings.Contains(help, "required") || strings.Contains(help, "embedded") {
			t.Errorf("host %s --help does not say --redis is required:\n%s", c, help)
		}
	}
	wantUsageError(t, []string{"list"}, "no Redis to reach", "--redis", "SANDHOST_REDIS")
	wantUsageError(t, []string{"call", "v", "get"}, "no Redis to reach", "SANDHOST_REDIS")
	if help := mustCLI(t, nil, "serve", "--help"); !strings.Contains(help, "embedded") {
		t.Errorf("host serve --help does not say an empty --redis starts an embedded Redis:\n%s", help)
	}
}

// register --help names the factories this build has.
func TestRegisterHelpNamesFactories(t *testing.T) {
	help := mustCLI(t, nil, "register", "--help")
	fs := registry.Factories()
	if len(fs) == 0 {
		t.Fatal("no factories registered")
	}
	for _, f := range fs {
		if !strings.Contains(help, f) {
			t.Errorf("register --help does not name factory %q:\n%s", f, help)
		}
	}
}

// A flag one host process passes another is left out of help; the rest,
// with their defaults, are still there.
func TestHelpHidesInternalFlags(t *testing.T) {
	for _, args := range [][]string{{"bench", "--help"}, {"help", "bench"}, {"bench", "--mode", "quick", "--help"}} {
		help := mustCLI(t, nil, args...)
		if strings.Contains(help, "serve-echo") || strings.Contains(help, "internal") {
			t.Errorf("host %s lists an internal flag:\n%s", strings.Join(args, " "), help)
		}
		if !strings.Contains(help, "-scenarios IDS") || !strings.Contains(help, `(default "full")`) {
			t.Errorf("host %s does not list the flags with their defaults:\n%s", strings.Join(args, " "), help)
		}
	}
}

// A command missing its arguments says so without a dangling list of
// none; one given too many names them.
func TestMissingArgumentsSaySo(t *testing.T) {
	dsn := newStore(t)
	wantUsageError(t, []string{"get", "--redis", dsn}, "host get: usage: want NAME, got no arguments\n")
	wantUsageError(t, []string{"get", "--redis", dsn, "a", "b"}, "want NAME, got 2 argument(s): a b\n")
}

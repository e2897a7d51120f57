package main

import "testing"

// Negative resources would over-allocate hosts: they are usage errors,
// refused before anything is opened.
func TestNegativeResourcesAreUsageErrors(t *testing.T) {
	t.Setenv("SANDHOST_REDIS", "memory://negative-resources")
	for _, c := range []struct {
		args []string
		why  string
	}{
		{[]string{"register", "v", "value", "--gpus", "-1"}, `invalid value "-1" for flag -gpus: must not be negative`},
		{[]string{"register", "v", "value", "--cpus", "-3"}, `invalid value "-3" for flag -cpus: must not be negative`},
		{[]string{"register", "v", "value", "--cpus", "NaN"}, `for flag -cpus`},
		{[]string{"register", "v", "value", "--memory", "-1GiB"}, `for flag -memory`},
		{[]string{"register", "v", "value", "--gpus", "1.5"}, `for flag -gpus`},
		{[]string{"serve", "--gpus", "-1"}, `invalid value "-1" for flag -gpus: must not be negative`},
		{[]string{"serve", "--cpus=-3"}, `invalid value "-3" for flag -cpus: must not be negative`},
		{[]string{"serve", "--memory", "-2GiB"}, `for flag -memory`},
	} {
		wantUsageError(t, c.args, c.why, "usage: host "+c.args[0])
	}
}

// A timeout that is not positive, or that does not parse, is a usage error
// that says why (time.ParseDuration's message is not dropped).
func TestTimeoutsMustBePositive(t *testing.T) {
	t.Setenv("SANDHOST_REDIS", "memory://timeouts")
	for _, cmd := range [][]string{{"call", "v", "get"}, {"exec", "print(1)"}} {
		for _, c := range []struct{ value, why string }{
			{"0", `invalid value "0" for flag -timeout: must be positive`},
			{"-1s", `invalid value "-1s" for flag -timeout: must be positive`},
			{"abc", `invalid value "abc" for flag -timeout: time: invalid duration "abc"`},
			{"10", `time: missing unit in duration "10"`},
		} {
			wantUsageError(t, append(cmd, "--timeout", c.value), c.why)
		}
	}
}

// An unknown --engine and a --redis of no known scheme are usage errors
// (exit 2), as documented for bad input, on every command that opens one.
func TestBadEngineAndDSNAreUsageErrors(t *testing.T) {
	newStore(t)
	wantUsageError(t, []string{"exec", "--engine", "bogus", "print(1)"}, `--engine "bogus"`, "wazy")
	for _, args := range [][]string{{"list"}, {"get", "x"}, {"exec", "print(1)"}, {"exec", "--allow-service", "x", "print(1)"}, {"serve"}} {
		wantUsageError(t, append(args, "--redis", "notaurl"), `"notaurl" has no scheme`)
	}
}

package main

import (
	"flag"
	"strings"
)

// parseArgs parses flags wherever they stand among the positional
// arguments (`host call NAME METHOD '{}' --json`) and returns the positional
// ones. A negative number is positional, so a JSON payload such as -5 is
// not read as a flag (no flag name starts with a digit), and so is
// everything after "--" and a lone "-" (standard input).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return append(pos, args[1:]...), nil
		}
		if !isFlag(a) {
			pos = append(pos, a)
			args = args[1:]
			continue
		}
		// Give the flag package one flag at a time (with its value), so
		// that it never reads a later negative number as a flag.
		n := min(flagArgs(fs, a), len(args))
		if err := fs.Parse(args[:n]); err != nil {
			return nil, err
		}
		args = args[n:]
	}
	return pos, nil
}

func isFlag(a string) bool {
	return len(a) > 1 && a[0] == '-' && !(a[1] >= '0' && a[1] <= '9')
}

// flagArgs is how many arguments the flag a takes up: 2 for "-name value",
// else 1 ("-name=value", a boolean flag, or an unknown one that the flag
// package reports).
func flagArgs(fs *flag.FlagSet, a string) int {
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	if strings.Contains(name, "=") {
		return 1
	}
	f := fs.Lookup(name)
	if f == nil {
		return 1
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return 1
	}
	return 2
}

package main

import (
	"io"
	"os"
)

// readInput reads a command's input: the file named by -f, standard input
// for "-", or the argument itself, so that inputs larger than a command
// line can hold (128 KiB per argument on Linux) still get through. given is
// false when there is neither a file nor an argument.
func readInput(g *globals, file string, rest []string) (data []byte, given bool, err error) {
	switch {
	case len(rest) > 1 || file != "" && len(rest) == 1:
		return nil, false, usagef("give the input once: as an argument, -f FILE, or - for standard input")
	case file != "":
		data, err = os.ReadFile(file)
		return data, true, err
	case len(rest) == 0:
		return nil, false, nil
	case rest[0] == "-":
		data, err = io.ReadAll(g.stdin)
		return data, true, err
	}
	return []byte(rest[0]), true, nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"
)

func init() {
	commands["call"] = &command{
		summary: "call a method of a service and print the reply",
		usage:   "NAME METHOD [PAYLOAD_JSON | - | -f FILE]",
		details: func() string {
			return "The payload is JSON: an argument ('\"hello\"', '{\"value\": 1}', -5), - to read it from\n" +
				"standard input, or -f FILE. A negative number is a payload, not a flag; so is anything after --."
		},
		setup: func(fs *flag.FlagSet) runFunc {
			c := &callFlags{timeout: timeoutFlag{d: 60 * time.Second}}
			fs.Var(&c.timeout, "timeout", "deadline of the call, a `DURATION` such as 2s or 1m")
			fs.StringVar(&c.file, "f", "", "read the payload from `FILE`")
			return c.run
		},
	}
}

type callFlags struct {
	timeout timeoutFlag
	file    string
}

func (c *callFlags) run(ctx context.Context, g *globals, args []string) error {
	if len(args) < 2 {
		return usagef("want NAME METHOD [PAYLOAD_JSON | - | -f FILE]")
	}
	payload, given, err := readInput(g, c.file, args[2:])
	if err != nil {
		return err
	}
	if given && !json.Valid(payload) {
		return usagef("payload is not valid JSON: %s (quote strings: '\"hello\"')", excerpt(payload))
	}
	r, err := openClient(ctx, g)
	if err != nil {
		return err
	}
	defer r.Close()
	h, err := r.Get(ctx, args[0])
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout.d)
	defer cancel()
	out, err := h.Call(cctx, args[1], payload)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.stdout, "%s\n", bytes.TrimRight(out, "\n"))
	return err
}

// excerpt is the start of b, for messages about inputs of any size.
func excerpt(b []byte) string {
	const max = 80
	if len(b) <= max {
		return string(b)
	}
	return fmt.Sprintf("%s… (%d bytes)", b[:max], len(b))
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sandhost/sandhost/plugins/wasm" // the "wasm" factory
	"github.com/sandhost/sandhost/registry"
)

// storeModule stores the module in FILE in the namespace and returns the
// args JSON with its module_sha256 set: `host register NAME wasm --module
// FILE` works from any machine, and the hosts fetch the module by its sum.
func storeModule(ctx context.Context, r *registry.Registry, file, args string) (json.RawMessage, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("--module: %v", err)
	}
	a := map[string]any{}
	if args != "" {
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			return nil, usagef("--args must be a JSON object with --module: %v", err)
		}
	}
	stored, err := wasm.Store(ctx, r, b)
	if err != nil {
		return nil, err
	}
	a["module_sha256"] = stored.ModuleSHA256
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode args: %w", err)
	}
	return raw, nil
}

func init() {
	commands["plugins"] = &command{summary: "list the Wasm plugin services: version, functions, instances, calls", usage: "(no arguments)",
		setup: noFlags(clientRun(0, "no arguments", runPlugins))}
}

// pluginRow is one line of `host plugins`.
type pluginRow struct {
	Name string `json:"name"`
	Host string `json:"host"`
	wasm.Info
}

func runPlugins(ctx context.Context, g *globals, r *registry.Registry, _ []string) error {
	specs, err := r.Specs(ctx)
	if err != nil {
		return err
	}
	rows := []pluginRow{}
	for _, sp := range specs {
		// Drop-in plugins (host serve --plugins) are instances their host
		// registered, with no factory: those that answer InfoMethod.
		instance := sp.Factory == ""
		if sp.Factory != wasm.FactoryName && !instance {
			continue
		}
		h, err := r.Get(ctx, sp.Name)
		if err != nil {
			continue // gone since the listing
		}
		in, err := registry.CallJSON[wasm.Info](ctx, h, wasm.InfoMethod, nil)
		if instance && (err != nil || in.Version == "") {
			continue // not a plugin
		}
		if err != nil {
			return err
		}
		rows = append(rows, pluginRow{Name: sp.Name, Host: sp.Owner, Info: in})
	}
	if g.json {
		return printJSON(g, rows)
	}
	tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOST\tVERSION\tINSTANCES\tIDLE\tCALLS\tFUNCTIONS")
	for _, p := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.12s\t%d\t%d\t%d\t%s\n", p.Name, p.Host, p.Version, p.Instances, p.Idle, p.Calls, strings.Join(p.Functions, ","))
	}
	return tw.Flush()
}

// Command plugin-dropin shows a host serving a directory of Wasm plugins
// (what `host serve --plugins DIR` does): it drops a plugin into the
// directory, calls it, replaces it with another build while it serves,
// calls again, and deletes it. Build the greeter plugin twice (see
// greeter/main.go), then:
//
//	go run ./examples/plugin-dropin hello.wasm bonjour.wasm
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sandhost/sandhost/plugins/dropin"
	"github.com/sandhost/sandhost/registry"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: plugin-dropin FIRST.wasm SECOND.wasm (two builds of ./examples/plugin-dropin/greeter)")
		os.Exit(2)
	}
	// log.Fatal skips deferred calls: run returns instead, so that the
	// temporary directory and the registry are cleaned up on failure too.
	if err := run(os.Args[1], os.Args[2]); err != nil {
		log.Fatal(err)
	}
}

func run(firstFile, secondFile string) error {
	first, err := os.ReadFile(firstFile)
	if err != nil {
		return err
	}
	second, err := os.ReadFile(secondFile)
	if err != nil {
		return err
	}
	ctx := context.Background()
	services, err := registry.Open(ctx, "", registry.WithNamespace("plugins")) // the embedded default
	if err != nil {
		return err
	}
	defer services.Close()

	dir, err := os.MkdirTemp("", "plugins")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// OnChange says when the host has applied a change; a program that
	// only serves the directory does not need it.
	changes := make(chan dropin.Change, 1)
	plugins, err := dropin.Watch(ctx, services, dir, dropin.Options{OnChange: func(c dropin.Change) { changes <- c }})
	if err != nil {
		return err
	}
	defer plugins.Close()
	fmt.Println("serving plugins from", dir)

	// A plugin and its settings: at most 2 calls at once, 5 s per call.
	if err := write(filepath.Join(dir, "greeter.yaml"), []byte("instances: 2\ntimeout: 5s\n")); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "greeter.wasm"), first); err != nil {
		return err
	}
	if err := report(next(changes)); err != nil {
		return err
	}
	if err := greet(ctx, services); err != nil {
		return err
	}

	// Replacing the file upgrades the service in place: calls running
	// finish on the old build, later ones run on the new.
	if err := write(filepath.Join(dir, "greeter.wasm"), second); err != nil {
		return err
	}
	if err := report(next(changes)); err != nil {
		return err
	}
	if err := greet(ctx, services); err != nil {
		return err
	}

	// Deleting it unregisters the service.
	if err := os.Remove(filepath.Join(dir, "greeter.wasm")); err != nil {
		return err
	}
	if err := report(next(changes)); err != nil {
		return err
	}
	ok, err := services.Contains(ctx, "greeter")
	if err != nil {
		return err
	}
	fmt.Println("greeter registered:", ok)
	return nil
}

// write puts a file into the directory under a hidden name, then renames
// it: the host never reads half of it. A plain copy works too (the host
// waits for the writes to settle), but a stalled copy can be read half
// written, logged as a module that does not compile, and loaded at its
// next write.
func write(path string, b []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// next waits for the host to apply a change: a compile, which takes a
// second or two for a Go plugin (much longer under the race detector).
func next(changes <-chan dropin.Change) (dropin.Change, error) {
	select {
	case c := <-changes:
		return c, nil
	case <-time.After(3 * time.Minute):
		return dropin.Change{}, errors.New("no change applied after 3 minutes")
	}
}

func report(c dropin.Change, err error) error {
	switch {
	case err != nil:
		return err
	case c.Err != nil:
		return fmt.Errorf("%s: %w", c.File, c.Err)
	case c.Version == "":
		fmt.Printf("%s removed (was %.12s)\n", c.Name, c.Previous)
	case c.Previous == "":
		fmt.Printf("%s added, version %.12s\n", c.Name, c.Version)
	default:
		fmt.Printf("%s upgraded, version %.12s (was %.12s)\n", c.Name, c.Version, c.Previous)
	}
	return nil
}

func greet(ctx context.Context, services *registry.Registry) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := services.Get(ctx, "greeter")
	if err != nil {
		return err
	}
	out, err := h.Call(ctx, "greet", []byte("world"))
	if err != nil {
		return err
	}
	fmt.Printf("greeter.greet(\"world\") = %q\n", out)
	return nil
}

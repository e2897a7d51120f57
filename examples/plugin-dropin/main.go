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
	first, err := os.ReadFile(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	second, err := os.ReadFile(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	services, err := registry.Open(ctx, "", registry.WithNamespace("plugins")) // the embedded default
	if err != nil {
		log.Fatal(err)
	}
	defer services.Close()

	dir, err := os.MkdirTemp("", "plugins")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// OnChange says when the host has applied a change; a program that
	// only serves the directory does not need it.
	changes := make(chan dropin.Change, 1)
	plugins, err := dropin.Watch(ctx, services, dir, dropin.Options{OnChange: func(c dropin.Change) { changes <- c }})
	if err != nil {
		log.Fatal(err)
	}
	defer plugins.Close()
	fmt.Println("serving plugins from", dir)

	// A plugin and its settings: at most 2 calls at once, 5 s per call.
	write(filepath.Join(dir, "greeter.yaml"), []byte("instances: 2\ntimeout: 5s\n"))
	write(filepath.Join(dir, "greeter.wasm"), first)
	report(next(changes))
	greet(ctx, services)

	// Replacing the file upgrades the service in place: calls running
	// finish on the old build, later ones run on the new.
	write(filepath.Join(dir, "greeter.wasm"), second)
	report(next(changes))
	greet(ctx, services)

	// Deleting it unregisters the service.
	if err := os.Remove(filepath.Join(dir, "greeter.wasm")); err != nil {
		log.Fatal(err)
	}
	report(next(changes))
	ok, err := services.Contains(ctx, "greeter")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("greeter registered:", ok)
}

// write puts a file into the directory under a hidden name, then renames
// it: the host never reads half of it. A plain copy works too (the host
// waits for the writes to settle), but a stalled copy can be read half
// written, logged as a module that does not compile, and loaded at its
// next write.
func write(path string, b []byte) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		log.Fatal(err)
	}
}

// next waits for the host to apply a change: a compile, which takes a
// second or two for a Go plugin (much longer under the race detector).
func next(changes <-chan dropin.Change) dropin.Change {
	select {
	case c := <-changes:
		return c
	case <-time.After(3 * time.Minute):
		log.Fatal("no change applied after 3 minutes")
		return dropin.Change{}
	}
}

func report(c dropin.Change) {
	switch {
	case c.Err != nil:
		log.Fatalf("%s: %v", c.File, c.Err)
	case c.Version == "":
		fmt.Printf("%s removed (was %.12s)\n", c.Name, c.Previous)
	case c.Previous == "":
		fmt.Printf("%s added, version %.12s\n", c.Name, c.Version)
	default:
		fmt.Printf("%s upgraded, version %.12s (was %.12s)\n", c.Name, c.Version, c.Previous)
	}
}

func greet(ctx context.Context, services *registry.Registry) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := services.Get(ctx, "greeter")
	if err != nil {
		log.Fatal(err)
	}
	out, err := h.Call(ctx, "greet", []byte("world"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("greeter.greet(\"world\") = %q\n", out)
}

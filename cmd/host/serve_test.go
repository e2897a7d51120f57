package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/plugins/embedding"
	"github.com/sandhost/sandhost/registry"
)

// A host offers the machine's CPUs and memory unless told otherwise,
// whatever other resource flags are given: `serve --gpus 1` once offered
// 4 EiB of memory. GPUs not given are those the CUDA driver finds (none in
// CI; the embedding package's GPU tests cover detection on a GPU machine).
func TestServeOffersTheMachineForWhatIsNotGiven(t *testing.T) {
	machine := registry.MachineResources()
	machine.GPUs, _ = embedding.DetectGPUs(context.Background())
	for _, c := range []struct {
		flags []string
		want  registry.Resources
	}{
		{nil, machine},
		{[]string{"--gpus", "1"}, registry.Resources{CPUs: machine.CPUs, GPUs: 1, MemoryBytes: machine.MemoryBytes}},
		{[]string{"--cpus", "0.5"}, registry.Resources{CPUs: 0.5, GPUs: machine.GPUs, MemoryBytes: machine.MemoryBytes}},
		{[]string{"--memory", "1GiB"}, registry.Resources{CPUs: machine.CPUs, GPUs: machine.GPUs, MemoryBytes: 1 << 30}},
		{[]string{"--gpus", "0"}, registry.Resources{CPUs: machine.CPUs, MemoryBytes: machine.MemoryBytes}},
	} {
		dsn := newStore(t)
		info := serveAndInspect(t, dsn, c.flags...)
		if info.Capacity != c.want {
			t.Errorf("serve %v offers %+v, want %+v", c.flags, info.Capacity, c.want)
		}
	}
}

// serveAndInspect runs `host serve --redis DSN FLAGS...` until it is
// ready, returns what it advertises, and stops it.
func serveAndInspect(t *testing.T, dsn string, flags ...string) registry.HostInfo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve", "--redis", dsn}, flags...), nil, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	var id string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 1 && f[0] == "host" {
			id = f[1]
		}
		if sc.Text() == "ready" {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	c, err := registry.Open(ctx, dsn, registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hosts, err := c.Hosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve %v: exit %d", flags, code)
	}
	for _, h := range hosts {
		if h.ID == id {
			return h
		}
	}
	t.Fatalf("serve %v: host %q not among %+v", flags, id, hosts)
	return registry.HostInfo{}
}

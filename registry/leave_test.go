package registry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// A host that closes leaves no trace: its control loop, woken by the removal
// of its own queue, once beat again and brought it back as a ghost that
// placement picked (11 of 20 runs).
func TestCloseLeavesNoGhostHost(t *testing.T) {
	rs := testredis.Start(t)
	rc := rs.Client()
	observer, err := registry.Open(ctx, rs.URL(), registry.WithNamespace("ghost"), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close()
	ghosts := 0
	for range 20 {
		r, err := registry.Open(ctx, rs.URL(), registry.WithNamespace("ghost"), registry.AcceptPlacement())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if hs, _ := observer.Hosts(ctx); len(hs) > 0 {
			ghosts++
		}
	}
	if ghosts > 0 {
		t.Errorf("%d of 20 closed hosts still listed", ghosts)
	}
	if n, err := rc.SCard(ctx, "sandhost:{ghost}:hosts").Result(); err != nil || n != 0 {
		t.Errorf("hosts set has %d members (%v) after every host closed", n, err)
	}
	for _, k := range rs.Keys("ghost") {
		if strings.Contains(k, ":host:") {
			t.Errorf("key %s left by a closed host", k)
		}
	}
}

// waitUntil polls cond, which another connection or process makes true on
// its own clock, until it holds or 10 s pass.
func waitUntil(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > 10*time.Second {
			t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(5 * time.Millisecond) // a poll, not synchronisation
	}
	return time.Since(t0)
}

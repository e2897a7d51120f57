package test

import (
	"encoding/json"
	"syscall"
	"testing"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// firstPickAndOther registers a service so that one host holds one more
// than the other; placement picks the other (fewest services) next.
func firstPickAndOther(t *testing.T, url, ns string, a, b *testhost.Proc) (first, other *testhost.Proc) {
	t.Helper()
	mustCLI(t, url, ns, "register", "warm", "value")
	if specOf(t, url, ns, "warm").Owner == a.ID {
		return b, a
	}
	return a, b
}

// A host stopped cleanly (SIGTERM) is gone at once: it is no longer listed,
// and a registration right after lands on the live host. It used to come
// back as a ghost (its control loop beat once more after Leave) that
// placement picked, failing the registration with "host gone".
func TestStoppedHostIsGoneAtOnce(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	a := startHost(t, url, "term")
	b := startHost(t, url, "term")
	victim, live := firstPickAndOther(t, url, "term", a, b)
	victim.Cmd.Process.Signal(syscall.SIGTERM)
	if err := victim.Cmd.Wait(); err != nil {
		t.Fatalf("host after SIGTERM: %v", err)
	}
	var hs []registry.HostInfo
	if err := json.Unmarshal([]byte(mustCLI(t, url, "term", "hosts", "--json")), &hs); err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].ID != live.ID {
		t.Fatalf("hosts after SIGTERM = %+v, want only %s", hs, live.ID)
	}
	mustCLI(t, url, "term", "register", "z", "value")
	if owner := specOf(t, url, "term", "z").Owner; owner != live.ID {
		t.Fatalf("z placed on %s, want the live host %s", owner, live.ID)
	}
}

// Placement tries the next host when the one it picked does not take the
// service: here the first pick was killed and is still listed until its
// heartbeat expires.
func TestPlacementSkipsADeadHost(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	a := startHost(t, url, "skip")
	b := startHost(t, url, "skip")
	victim, live := firstPickAndOther(t, url, "skip", a, b)
	victim.Cmd.Process.Kill()
	victim.Cmd.Wait()
	mustCLI(t, url, "skip", "register", "z", "value")
	if owner := specOf(t, url, "skip", "z").Owner; owner != live.ID {
		t.Fatalf("z placed on %s, want the live host %s", owner, live.ID)
	}
}

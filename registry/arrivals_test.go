package registry_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
	"github.com/sandhost/sandhost/registry/driver"
)

// A host serving many services waits for their calls in one blocked read
// of the store, not one per service: with a read per service a real Redis
// held a connection per service, and miniredis re-checked every blocked
// read on every command, so that registering the 600th service on the
// embedded default took 260 ms. Here a host process serves n services,
// each answers a call from this process through the store, and Redis
// counts the clients blocked: the host's wait, its waits on the few queues
// that served last, and this process's reply reader, whatever n is.
func TestOneBlockedReadPerHost(t *testing.T) {
	rs := testredis.Start(t)
	const ns, n = "blocked", 60
	startHost(t, rs.URL(), ns)
	client, err := registry.Open(ctx, rs.URL(), registry.WithNamespace(ns), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var handles []*registry.Handle
	for i := range n {
		h, err := client.Register(ctx, fmt.Sprintf("v%02d", i), "value", registry.WithArgs(map[string]int{"value": i}))
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, h)
	}
	for i, h := range handles {
		if v, err := registry.CallJSON[int](ctx, h, "get", nil); err != nil || v != i {
			t.Fatalf("%s.get = %d, %v; want %d", h.Name(), v, err, i)
		}
	}
	info := rs.Client().Info(ctx, "clients").Val()
	blocked, connected := infoField(t, info, "blocked_clients"), infoField(t, info, "connected_clients")
	t.Logf("%d services: %d clients blocked, %d connected", n, blocked, connected)
	if most := 2 + driver.MaxWaitingReceives; blocked > most {
		t.Errorf("%d clients blocked in reads with %d services on one host; want %d at most (the host's wait, its waits on the queues that served last, the caller's replies)", blocked, n, most)
	}
	if connected >= n {
		t.Errorf("%d clients connected for %d services: a connection per service", connected, n)
	}
}

// infoField reads a number from the text of Redis's INFO.
func infoField(t *testing.T, info, name string) int {
	t.Helper()
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("INFO %s: %q", name, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s:\n%s", name, info)
	return 0
}

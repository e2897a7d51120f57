package registry_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// logBuffer collects a registry's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// A host whose store goes away logs the start and the end of the outage,
// once each, for its heartbeat and for its wait for calls (one per host,
// whatever the number of its services); the control loop used to log
// "control receive failed" on every try, forever. A reader of a queue
// (control or service) that fails during the outage says so once too.
func TestStoreOutageLoggedOnce(t *testing.T) {
	rs := testredis.Start(t)
	logs := &logBuffer{}
	host, err := registry.Open(ctx, rs.URL(), registry.WithNamespace("outage"), registry.AcceptPlacement(),
		registry.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	rs.Stop()
	// The heartbeat notices within a beat or two; by then the wait for
	// calls has retried many times.
	waitUntil(t, "heartbeat failure logged", func() bool { return logs.count("heartbeat failing") > 0 })
	waitUntil(t, "wait failure logged", func() bool { return logs.count("waiting for calls failing") > 0 })
	rs.Restart()
	waitUntil(t, "recovery logged", func() bool {
		return logs.count("heartbeat recovered") == 1 && logs.count("waiting for calls again") == 1
	})
	for _, line := range []string{"heartbeat failing", "waiting for calls failing"} {
		if n := logs.count(line); n != 1 {
			t.Errorf("%q logged %d times during one outage, want once", line, n)
		}
	}
	if n := logs.count("control receive failing"); n > 1 {
		t.Errorf("the control loop logged its failure %d times during one outage, want once at most", n)
	}
}

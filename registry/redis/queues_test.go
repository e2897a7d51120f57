package redis

import (
	"context"
	"testing"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry/driver/drivertest"
)

// bothRedis gives the DSN of each Redis a queue test runs on: the
// embedded one and a redis-server started for the test.
var bothRedis = map[string]func(*testing.T) string{
	"embedded": func(*testing.T) string { return "embedded://" },
	"redis":    func(t *testing.T) string { return testredis.Start(t).URL() },
}

// The call queues' contract, on the embedded Redis and on a redis-server.
func TestQueues(t *testing.T) {
	for name, dsn := range bothRedis {
		t.Run(name, func(t *testing.T) {
			be, err := Driver{}.Open(context.Background(), dsn(t), "queues")
			if err != nil {
				t.Fatal(err)
			}
			defer be.Close()
			drivertest.TestQueues(t, be)
		})
	}
}

// The namespace's contract (claims, liveness, List and Names), on both.
func TestNamespace(t *testing.T) {
	for name, dsn := range bothRedis {
		t.Run(name, func(t *testing.T) {
			be, err := Driver{}.Open(context.Background(), dsn(t), "namespace")
			if err != nil {
				t.Fatal(err)
			}
			defer be.Close()
			drivertest.TestNamespace(t, be)
		})
	}
}

package registry_test

import (
	"context"
	"log"
	"os"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	// go-redis logs connections closed under a blocked read at Close.
	goredis.SetLogger(quiet{})
	log.SetFlags(0)
	os.Exit(m.Run())
}

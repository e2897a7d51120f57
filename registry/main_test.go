package registry_test

import (
	"os"
	"testing"

	"github.com/sandhost/sandhost/internal/testredis"
)

func TestMain(m *testing.M) {
	testredis.SilenceClientLogs()
	os.Exit(m.Run())
}

package redis

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// A library must not write to stderr: go-redis's own logger does (e.g.
// "Unexpected conn state changed by hook to CLOSED" when a pool closes under
// a blocking read). Its messages go to slog's default logger at debug
// level instead. go-redis has one logger per process; setting it here, with
// the driver's registration, is the one place that does.
func init() { goredis.SetLogger(slogLogger{}) }

type slogLogger struct{}

func (slogLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

package redis

import (
	"context"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/registry/driver"
)

// Watch turns the namespace's pub/sub channel into change events.
func (b *backend) Watch(ctx context.Context) (<-chan driver.Event, error) {
	ps := b.cmds.Subscribe(ctx, b.keys.events())
	out := make(chan driver.Event, 64)
	// Receive ignores cancellation; closing the subscription ends it.
	go func() { <-ctx.Done(); ps.Close() }()
	go func() {
		defer close(out)
		send := func(ev driver.Event) bool {
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			msg, err := ps.Receive(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				// The subscription reconnects on the next Receive;
				// anything published meanwhile is lost, so say so.
				if !send(driver.Event{Kind: driver.Resync}) {
					return
				}
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
					return
				}
				continue
			}
			switch m := msg.(type) {
			case *goredis.Subscription:
				if !send(driver.Event{Kind: driver.Resync}) {
					return
				}
			case *goredis.Message:
				kind, rest, _ := strings.Cut(m.Payload, ":")
				ev := driver.Event{Kind: driver.Changed, Name: rest}
				if kind == "r" {
					ev.Kind = driver.Cleared
				}
				if !send(ev) {
					return
				}
			}
		}
	}()
	return out, nil
}

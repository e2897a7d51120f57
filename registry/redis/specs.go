package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/registry/driver"
)

// run runs a script with the common keys and the prefix, then extra keys
// and arguments, on client c, as one command under way.
func (b *backend) run(ctx context.Context, c goredis.UniversalClient, s *goredis.Script, extraKeys []string, args ...any) *goredis.Cmd {
	if err := b.begin(); err != nil {
		cmd := goredis.NewCmd(ctx)
		cmd.SetErr(err)
		return cmd
	}
	defer b.end()
	return s.Run(ctx, c, b.keys.script(extraKeys...), append([]any{b.keys.prefix}, args...)...)
}

func (b *backend) Claim(ctx context.Context, spec driver.Spec) (driver.Spec, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return spec, err
	}
	gen, err := b.run(ctx, b.cmds, claimScript, []string{b.keys.queue(driver.ServiceQueue(spec.Name))},
		spec.Name, js, spec.Owner, randomID()).Text()
	if errors.Is(err, goredis.Nil) {
		return spec, fmt.Errorf("%w: %q", driver.ErrExists, spec.Name)
	}
	if err != nil {
		return spec, fmt.Errorf("redis: claim %q: %w", spec.Name, err)
	}
	spec.Generation = gen
	return spec, nil
}

func (b *backend) Release(ctx context.Context, name, owner string) error {
	if err := b.run(ctx, b.cmds, releaseScript, nil, name, owner).Err(); err != nil {
		return fmt.Errorf("redis: release %q: %w", name, err)
	}
	return nil
}

func (b *backend) Lookup(ctx context.Context, name string) (driver.Spec, error) {
	s, err := b.run(ctx, b.cmds, lookupScript, nil, name).Text()
	if errors.Is(err, goredis.Nil) {
		return driver.Spec{}, driver.ErrNotFound
	}
	if err != nil {
		return driver.Spec{}, fmt.Errorf("redis: lookup %q: %w", name, err)
	}
	var sp driver.Spec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return driver.Spec{}, fmt.Errorf("redis: corrupt spec of %q: %w", name, err)
	}
	return sp, nil
}

func (b *backend) List(ctx context.Context) ([]driver.Spec, error) {
	vals, err := b.run(ctx, b.cmds, listScript, nil, "specs").StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: list: %w", err)
	}
	out := make([]driver.Spec, 0, len(vals))
	for _, v := range vals {
		var sp driver.Spec
		if err := json.Unmarshal([]byte(v), &sp); err != nil {
			return nil, fmt.Errorf("redis: corrupt spec: %w", err)
		}
		out = append(out, sp)
	}
	return out, nil
}

func (b *backend) Names(ctx context.Context) ([]string, error) {
	names, err := b.run(ctx, b.cmds, listScript, nil, "names").StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: list names: %w", err)
	}
	return names, nil
}

func (b *backend) Reset(ctx context.Context) (string, error) {
	gen := randomID()
	if err := b.run(ctx, b.cmds, resetScript, nil, gen).Err(); err != nil {
		return "", fmt.Errorf("redis: reset: %w", err)
	}
	return gen, nil
}

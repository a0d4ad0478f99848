package testkit

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// QuietRedis silences go-redis's own log lines (failed dials, retries) for
// the whole test binary; call it from TestMain. Tests that stop a server
// check the errors they expect themselves.
func QuietRedis() { redis.SetLogger(silent{}) }

type silent struct{}

func (silent) Printf(context.Context, string, ...any) {}

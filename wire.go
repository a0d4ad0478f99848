package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"

	"xtraauth/account"
	"xtraauth/config"
	"xtraauth/store/redisstore"
	"xtraauth/store/sqlstore"
)

// keyPrefix starts every Redis key of xtraauth.
const keyPrefix = "xtraauth:"

// hashWait is how long a request may wait for a hashing slot before 503.
const hashWait = 2 * time.Second

// app holds the opened stores and the services on them.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	sql      *sqlstore.Store
	redis    redis.UniversalClient // nil for a CLI run with no server to reach
	embedded *redisstore.Embedded  // set when the server runs Redis in-process
	eph      *redisstore.Store
	accounts *account.Service
}

// openServer opens the stores for the server: the configured Redis, or an
// in-process one when none is configured.
func openServer(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	if err := a.openSQL(ctx); err != nil {
		return nil, err
	}
	if cfg.RedisURL == "" && len(cfg.RedisCluster) == 0 {
		emb, err := redisstore.StartEmbedded(cfg.DataDir)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("embedded Redis: %w", err)
		}
		a.embedded, a.redis = emb, emb.Client()
	} else if err := a.dialRedis(ctx, cfg.RedisURL); err != nil {
		a.close()
		return nil, err
	}
	return a, a.wire(ctx)
}

// openCLI opens the stores for an operator's command. In embedded mode it
// reaches the running server's Redis through <data dir>/redis.addr; with no
// server running it changes SQL only (the sessions died with the server).
func openCLI(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	if err := a.openSQL(ctx); err != nil {
		return nil, err
	}
	url := cfg.RedisURL
	if url == "" && len(cfg.RedisCluster) == 0 {
		addr, err := redisstore.ReadAddrFile(cfg.DataDir)
		if errors.Is(err, os.ErrNotExist) {
			return a, a.wire(ctx)
		}
		if err != nil {
			a.close()
			return nil, err
		}
		url = addr
		if err := a.dialRedis(ctx, url); err != nil {
			// A stale file of a server that is gone: SQL only.
			a.redis = nil
			return a, a.wire(ctx)
		}
		return a, a.wire(ctx)
	}
	if err := a.dialRedis(ctx, url); err != nil {
		a.close()
		return nil, err
	}
	return a, a.wire(ctx)
}

func (a *app) openSQL(ctx context.Context) error {
	s, err := sqlstore.Open(ctx, a.cfg.DatabaseURL, a.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("XTRA_DATABASE_URL: %w", err)
	}
	a.sql = s
	return nil
}

func (a *app) dialRedis(ctx context.Context, url string) error {
	c, err := redisstore.Dial(ctx, url, a.cfg.RedisCluster)
	if err != nil {
		if len(a.cfg.RedisCluster) > 0 {
			return fmt.Errorf("XTRA_REDIS_CLUSTER: %w", err)
		}
		return fmt.Errorf("XTRA_REDIS_URL: %w", err)
	}
	a.redis = c
	return nil
}

// wire builds the services on the opened stores.
func (a *app) wire(ctx context.Context) error {
	var ender account.SessionEnder = noSessions{}
	if a.redis != nil {
		a.eph = redisstore.New(a.redis, keyPrefix)
		ender = a.eph
	}
	hasher := account.NewHasher(a.cfg.Hash, runtime.NumCPU(), hashWait, nil)
	accounts, err := account.New(ctx, account.Deps{
		Users: a.sql, DevKeys: a.sql, Sessions: ender, Gate: account.OpenGate{}, Hasher: hasher, Now: time.Now,
	})
	if err != nil {
		a.close()
		return err
	}
	a.accounts = accounts
	return nil
}

// ready reports whether both stores answer.
func (a *app) ready(ctx context.Context) error {
	if err := a.sql.Ping(ctx); err != nil {
		return err
	}
	return a.redis.Ping(ctx).Err()
}

func (a *app) close() {
	if a.redis != nil && a.embedded == nil {
		_ = a.redis.Close()
	}
	if a.embedded != nil {
		_ = a.embedded.Close()
	}
	if a.sql != nil {
		_ = a.sql.Close()
	}
}

// noSessions stands in when no Redis is reachable: the CLI without a
// running embedded server, whose sessions ended with it.
type noSessions struct{}

func (noSessions) DeleteUserSessions(context.Context, int64, string) error { return nil }

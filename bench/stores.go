package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/redis/go-redis/v9"

	"xtraauth/config"
	"xtraauth/store/redisstore"
)

// cleanupTimeout bounds removing the bench's data, also after Ctrl-C.
const cleanupTimeout = time.Minute

// isolate points cfg at stores of the bench's own, so a run never touches
// an installation's data whatever XTRA_* says: a temporary data dir (the
// SQLite file, the in-process Redis), a fresh key prefix on a real Redis
// (see deleteKeys) and a fresh schema on PostgreSQL. undo removes the
// directory and the schema.
func isolate(ctx context.Context, cfg config.Config) (config.Config, func() error, error) {
	dir, err := os.MkdirTemp("", "xtraauth-bench-")
	if err != nil {
		return cfg, nil, err
	}
	cfg.DataDir = dir
	cfg.RedisPrefix = "xtraauth-bench:" + randomText()[:12] + ":"
	removeDir := func() error { return os.RemoveAll(dir) }
	if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
		return cfg, removeDir, nil // SQLite, or a URL that app.OpenServer refuses with its own message
	}
	schemaURL, drop, err := pgSchema(ctx, cfg.DatabaseURL)
	if err != nil {
		return cfg, nil, errors.Join(fmt.Errorf("XTRA_DATABASE_URL: %w", err), removeDir())
	}
	cfg.DatabaseURL = schemaURL
	return cfg, func() error { return errors.Join(drop(), removeDir()) }, nil
}

// pgSchema creates a schema for the run and returns base pointed at it and
// a function dropping it.
func pgSchema(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, errors.New("not a URL") // url's error would quote the password
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	schema := "xtraauth_bench_" + strings.ToLower(randomText()[:12])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() error {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	return u.String(), drop, nil
}

// deleteKeys deletes the run's keys from a real Redis.
func deleteKeys(client redis.UniversalClient, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := redisstore.DeletePrefix(ctx, client, prefix); err != nil {
		return fmt.Errorf("delete the bench's Redis keys (prefix %s): %w", prefix, err)
	}
	return nil
}

// memoryGauge names and reads the memory sessions live in: the Go heap
// (after a GC) with the in-process Redis, else Redis's used_memory summed
// over the masters.
func (b *bench) memoryGauge() (string, func() (int64, error)) {
	if b.app.Embedded != nil {
		return "Go heap", func() (int64, error) {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return int64(m.HeapAlloc), nil
		}
	}
	return "Redis used_memory", func() (int64, error) { return redisUsedMemory(b.ctx, b.app.Redis) }
}

func redisUsedMemory(ctx context.Context, client redis.UniversalClient) (int64, error) {
	var total atomic.Int64 // ForEachMaster runs on the masters at once
	read := func(ctx context.Context, node *redis.Client) error {
		info, err := node.Info(ctx, "memory").Result()
		if err != nil {
			return err
		}
		n, err := infoField(info, "used_memory")
		total.Add(n)
		return err
	}
	err := redisstore.EachMaster(ctx, client, read)
	return total.Load(), err
}

// infoField reads a number from an INFO reply ("name:value" lines).
func infoField(info, name string) (int64, error) {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO", name)
}

func randomText() string { return rand.Text() }

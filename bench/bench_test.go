package bench

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/internal/testkit"
	"xtraauth/store/redisstore"
)

// TestRunLeavesNothingBehind runs a few rows on each real store named by
// XTRA_TEST_* and checks that the run's schema or keys are gone after it.
// (The embedded run of every row is TestBenchCommand in package main.)
func TestRunLeavesNothingBehind(t *testing.T) {
	for _, tc := range []struct {
		name string
		// use points c at the store (skipping when it is not set) and
		// returns a count of the bench's schemas or keys left on it
		use func(t *testing.T, c *config.Config) (leftovers func() int)
	}{
		{"postgres", func(t *testing.T, c *config.Config) func() int {
			c.DatabaseURL = testkit.DatabaseURL(t)
			return func() int { return benchSchemas(t, c.DatabaseURL) }
		}},
		{"redis", func(t *testing.T, c *config.Config) func() int {
			c.RedisURL = testkit.RedisURL(t)
			return func() int { return benchKeys(t, c.RedisURL, nil) }
		}},
		{"redis cluster", func(t *testing.T, c *config.Config) func() int {
			c.RedisCluster = testkit.RedisCluster(t)
			return func() int { return benchKeys(t, "", c.RedisCluster) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := apptest.Config(t)
			leftovers := tc.use(t, &cfg)
			before := leftovers()
			var out strings.Builder
			opt := Options{Connections: 4, Duration: 100 * time.Millisecond, Sessions: 50, Only: []string{"healthz", "devkey", "heap"}}
			if err := Run(t.Context(), cfg, opt, slog.New(slog.DiscardHandler), &out); err != nil {
				t.Fatal(err)
			}
			for _, measure := range []string{"| GET /healthz ", "| right dev_key logins, one address ", " per live session (50) "} {
				if !strings.Contains(out.String(), measure) {
					t.Errorf("no row %q in:\n%s", measure, out.String())
				}
			}
			if after := leftovers(); after != before {
				t.Errorf("%d of the bench's schemas or keys before the run, %d after", before, after)
			}
		})
	}
}

// benchSchemas counts the bench's schemas in the database of url.
func benchSchemas(t *testing.T, url string) int {
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(t.Context(), `SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'xtraauth\_bench\_%'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// benchKeys counts the bench's keys on a Redis or, with cluster, on every master.
func benchKeys(t *testing.T, url string, cluster []string) int {
	client, err := redisstore.Dial(t.Context(), url, cluster)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var n atomic.Int64 // ForEachMaster runs on the masters at once
	count := func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, "xtraauth-bench:*").Result()
		n.Add(int64(len(keys)))
		return err
	}
	if err := redisstore.EachMaster(t.Context(), client, count); err != nil {
		t.Fatal(err)
	}
	return int(n.Load())
}

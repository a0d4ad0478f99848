package bench

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store/redisstore"
)

// TestRunLeavesNothingBehind runs a few rows on each real store named by
// XTRA_TEST_* and checks that the run's schema or keys are gone after it.
// (The embedded run of every row is TestBenchCommand in package main.)
func TestRunLeavesNothingBehind(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		use       func(c *config.Config, v string)
		leftovers func(t *testing.T, v string) int
	}{
		{"postgres", "XTRA_TEST_DATABASE_URL", func(c *config.Config, v string) { c.DatabaseURL = v }, benchSchemas},
		{"redis", "XTRA_TEST_REDIS_URL", func(c *config.Config, v string) { c.RedisURL = v }, func(t *testing.T, v string) int {
			return benchKeys(t, v, nil)
		}},
		{"redis cluster", "XTRA_TEST_REDIS_CLUSTER", func(c *config.Config, v string) { c.RedisCluster = strings.Split(v, ",") }, func(t *testing.T, v string) int {
			return benchKeys(t, "", strings.Split(v, ","))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := os.Getenv(tc.env)
			if v == "" {
				t.Skipf("%s not set: skipping the bench on it", tc.env)
			}
			before := tc.leftovers(t, v)
			cfg := apptest.Config(t)
			tc.use(&cfg, v)
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
			if after := tc.leftovers(t, v); after != before {
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
	if err := eachNode(t.Context(), client, count); err != nil {
		t.Fatal(err)
	}
	return int(n.Load())
}

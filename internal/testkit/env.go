package testkit

import (
	"os"
	"strings"
	"testing"
)

// The real services a test may use, each named by a variable of the
// environment (bash .ci/run sets all three). Without it the test skips.

// DatabaseURL is XTRA_TEST_DATABASE_URL, a PostgreSQL database the test
// may create schemas in.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return need(t, "XTRA_TEST_DATABASE_URL", "PostgreSQL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// RedisURL is XTRA_TEST_REDIS_URL, a Redis the test keeps to a key prefix
// of its own.
func RedisURL(t testing.TB) string {
	t.Helper()
	return need(t, "XTRA_TEST_REDIS_URL", "a real Redis", "redis://127.0.0.1:6379/0")
}

// RedisCluster is XTRA_TEST_REDIS_CLUSTER, the seed addresses of a Redis
// Cluster the test keeps to a key prefix of its own.
func RedisCluster(t testing.TB) []string {
	t.Helper()
	return strings.Split(need(t, "XTRA_TEST_REDIS_CLUSTER", "a Redis Cluster", "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"), ",")
}

func need(t testing.TB, name, what, example string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s not set: skipping the run on %s (e.g. %s=%s; bash .ci/run sets it)", name, what, name, example)
	}
	return v
}

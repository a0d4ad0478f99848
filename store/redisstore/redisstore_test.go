package redisstore

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"xtraauth/internal/testkit"
	"xtraauth/store"
	"xtraauth/store/conformance"
)

// TestMain silences go-redis's own logging: it reports dial retries and,
// for the one-node cluster miniredis fakes, commands missing from COMMAND
// INFO. Tests check the errors they expect themselves.
func TestMain(m *testing.M) {
	testkit.QuietRedis()
	os.Exit(m.Run())
}

type newStoreFunc = func(t *testing.T) (conformance.Ephemeral, func(time.Duration))

// runSuites runs both conformance suites against one backend.
func runSuites(t *testing.T, newStore newStoreFunc) {
	t.Run("Ephemeral", func(t *testing.T) { conformance.RunEphemeral(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { conformance.RunEphemeralConcurrency(t, newStore) })
}

// newMiniredis gives each store its own server, so fast-forwarding one
// test's clock cannot expire another's keys.
func newMiniredis(t *testing.T) (conformance.Ephemeral, func(time.Duration)) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	return New(client, testPrefix()), mr.FastForward
}

func TestMiniredis(t *testing.T) { runSuites(t, newMiniredis) }

// TestMiniredisCluster drives the stores through a cluster client (miniredis
// poses as a one-node cluster), to exercise the cluster code paths.
func TestMiniredisCluster(t *testing.T) {
	runSuites(t, func(t *testing.T) (conformance.Ephemeral, func(time.Duration)) {
		mr := miniredis.RunT(t)
		client, err := Dial(context.Background(), "", []string{mr.Addr()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Close() })
		return New(client, testPrefix()), mr.FastForward
	})
}

// TestEmbedded runs on the embedded server with its wall-clock expiry:
// advancing the clock is sleeping, then charging the TTLs at once rather
// than at the next tick, which a loaded machine may delay (the ticks are
// TestEmbeddedWallClockExpiry's).
func TestEmbedded(t *testing.T) {
	e := startTestEmbedded(t)
	runSuites(t, func(t *testing.T) (conformance.Ephemeral, func(time.Duration)) {
		s, _ := sharedServer(e.Client())(t)
		return s, func(d time.Duration) { time.Sleep(d); e.charge() }
	})
}

// TestRealRedis runs against the server named by XTRA_TEST_REDIS_URL.
func TestRealRedis(t *testing.T) {
	runSuites(t, sharedServer(realRedis(t)))
}

// TestRealRedisCluster runs against the cluster whose seed addresses are
// listed, comma-separated, in XTRA_TEST_REDIS_CLUSTER.
func TestRealRedisCluster(t *testing.T) {
	client, err := Dial(context.Background(), "", testkit.RedisCluster(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	runSuites(t, sharedServer(client))
}

func realRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	client, err := Dial(context.Background(), testkit.RedisURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func startTestEmbedded(t *testing.T) *Embedded {
	t.Helper()
	e, err := StartEmbedded(t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// sharedServer isolates the tests on one real-clock server by prefix and
// deletes each test's keys when it ends.
func sharedServer(client redis.UniversalClient) newStoreFunc {
	return func(t *testing.T) (conformance.Ephemeral, func(time.Duration)) {
		prefix := testPrefix()
		t.Cleanup(func() { deleteKeys(t, client, prefix) })
		return New(client, prefix), time.Sleep
	}
}

func testPrefix() string { return "xatest:" + rand.Text()[:12] + ":" }

func deleteKeys(t *testing.T, client redis.UniversalClient, prefix string) {
	if err := DeletePrefix(context.Background(), client, prefix); err != nil {
		t.Errorf("delete test keys: %v", err)
	}
}

// TestTwoProcesses shares one server between two Stores with their own
// connections, as two server processes would: the captcha gate still lets
// exactly two attempts through in total.
func TestTwoProcesses(t *testing.T) {
	mr := miniredis.RunT(t)
	backends := map[string]func(t *testing.T) []redis.UniversalClient{
		"miniredis": func(t *testing.T) []redis.UniversalClient {
			return []redis.UniversalClient{miniClient(t, mr), miniClient(t, mr)}
		},
		"redis": func(t *testing.T) []redis.UniversalClient {
			return []redis.UniversalClient{realRedis(t), realRedis(t)}
		},
	}
	for name, clients := range backends {
		t.Run(name, func(t *testing.T) {
			cs := clients(t)
			prefix := testPrefix()
			t.Cleanup(func() { deleteKeys(t, cs[0], prefix) })
			stores := []*Store{New(cs[0], prefix), New(cs[1], prefix)}
			wantTwoProceed(t, stores)
		})
	}
}

func wantTwoProceed(t *testing.T, stores []*Store) {
	p := store.AttemptPolicy{CaptchaAfter: 2, LockAfter: 5, LockFor: time.Hour}
	statuses := make([]store.AttemptStatus, 64)
	errs := make([]error, 64)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 64 {
		wg.Go(func() {
			<-start
			var res store.AttemptResult
			res, errs[i] = stores[i%2].Attempt(context.Background(), "alice", p, false)
			statuses[i] = res.Status
		})
	}
	close(start)
	wg.Wait()
	proceeded := 0
	for i, st := range statuses {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if st == store.AttemptProceed {
			proceeded++
		}
	}
	if proceeded != 2 {
		t.Errorf("%d attempts proceeded, want 2", proceeded)
	}
}

func miniClient(t *testing.T, mr *miniredis.Miniredis) redis.UniversalClient {
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

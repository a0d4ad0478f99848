package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/internal/testkit"
	"xtraauth/store/redisstore"
)

// The storm below sends many attempts for one login at once, spread over
// two servers sharing one Redis, and counts how many passwords were really
// checked: the plain "Wrong username or password" answers, which must
// match the password failures in the audit trail. (lockout's
// TestConcurrency holds the gate's rules under concurrency; this is the
// whole server's.)

const stormSize = 40

// stormBackend names the Redis the servers share: each Env's own
// miniredis, or a real Redis (XTRA_TEST_REDIS_URL) or Redis Cluster
// (XTRA_TEST_REDIS_CLUSTER) under a fresh prefix.
type stormBackend struct {
	name   string
	config func(t *testing.T) func(*config.Config)
}

var stormBackends = []stormBackend{
	{"miniredis", func(*testing.T) func(*config.Config) { return func(*config.Config) {} }},
	{"redis", realRedisConfig},
	{"redis cluster", realClusterConfig},
}

func realRedisConfig(t *testing.T) func(*config.Config) {
	url := testkit.RedisURL(t)
	prefix := testPrefix(t, url, nil)
	return func(c *config.Config) { c.RedisURL, c.RedisPrefix = url, prefix }
}

func realClusterConfig(t *testing.T) func(*config.Config) {
	cluster := testkit.RedisCluster(t)
	prefix := testPrefix(t, "", cluster)
	return func(c *config.Config) { c.RedisURL, c.RedisCluster, c.RedisPrefix = "", cluster, prefix }
}

// testPrefix is a fresh key prefix whose keys are deleted when the test ends.
func testPrefix(t *testing.T, url string, cluster []string) string {
	prefix := "xatest-handlers:" + rand.Text()[:12] + ":"
	// registered before the servers start, so it runs after they stop
	t.Cleanup(func() { deleteRedisKeys(t, url, cluster, prefix) })
	return prefix
}

// deleteRedisKeys deletes the prefix's keys, on a connection of its own as
// the servers that used them have stopped.
func deleteRedisKeys(t *testing.T, url string, cluster []string, prefix string) {
	ctx := context.Background()
	client, err := redisstore.Dial(ctx, url, cluster)
	if err != nil {
		t.Error(err)
		return
	}
	defer client.Close()
	err = redisstore.DeletePrefix(ctx, client, prefix)
	if err != nil {
		t.Errorf("delete test keys: %v", err)
	}
}

// startServers starts n servers of one installation on the backend.
func startServers(t *testing.T, b stormBackend, n int) []*apptest.Env {
	e := apptest.New(t, b.config(t))
	servers := []*apptest.Env{e}
	for len(servers) < n {
		servers = append(servers, e.Join())
	}
	return servers
}

// storm sends each body at once, body i to server i mod len(servers), and
// returns the answers as "status text".
func storm(t *testing.T, servers []*apptest.Env, bodies []map[string]string) []string {
	answers := make([]string, len(bodies))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, body := range bodies {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			<-start
			status, reply, err := rawDo(servers[i%len(servers)], "POST", "/api/sessions", bytes.NewReader(raw), "Content-Type", "application/json")
			if err != nil {
				t.Errorf("attempt %d: %v", i, err)
				return
			}
			var m struct{ Text string }
			_ = json.Unmarshal(reply, &m)
			answers[i] = fmt.Sprintf("%d %s", status, m.Text)
		})
	}
	close(start)
	wg.Wait()
	return answers
}

func tally(answers []string) map[string]int {
	count := map[string]int{}
	for _, a := range answers {
		count[a]++
	}
	return count
}

const (
	answerWrong        = "403 " + wrongText
	answerWrongCaptcha = "403 Wrong Captcha"
	answerLocked       = "429 Too Many Failed Attempts"
)

// TestLockoutStorms: of N simultaneous wrong passwords for one login, each
// with a fresh right captcha, spread over two servers, at most
// XTRA_LOCK_AFTER are checked in all; the rest find the lock, and both
// servers answer it.
func TestLockoutStorms(t *testing.T) {
	t.Parallel()
	for _, b := range stormBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			servers := startServers(t, b, 2)
			e := servers[0]
			e.AddUser("alice", alicePassword, false)
			bodies := make([]map[string]string, stormSize)
			for i := range bodies {
				s := fetchCaptcha(t, servers[i%len(servers)], "alice")
				bodies[i] = map[string]string{"login": "alice", "password": badPassword, "captcha_id": s.id, "captcha_str": s.answer}
			}
			count := tally(storm(t, servers, bodies))
			checked, lockAfter := count[answerWrong], e.App.Cfg.LockAfter
			if checked != lockAfter || count[answerLocked]+count[answerWrongCaptcha] != stormSize-checked {
				t.Fatalf("answers %v: want exactly %d passwords checked (every attempt had a right captcha), the rest locked", count, lockAfter)
			}
			if n := len(auditRows(t, e, "alice", "password")); n != checked {
				t.Fatalf("%d password failures audited, %d answered", n, checked)
			}
			if n := len(auditRows(t, e, "alice", "lock")); n != 1 {
				t.Fatalf("%d lock events audited for one lock", n)
			}
			for _, srv := range servers {
				r := passwordLogin(srv, "alice", alicePassword, fetchCaptcha(t, srv, "alice"))
				// a real Redis's clock runs on while the test does: allow a minute
				var body struct {
					RetryAfter int64 `json:"retry_after"`
				}
				_ = json.Unmarshal(r.Body, &body)
				if body.RetryAfter <= 7200-60 || body.RetryAfter > 7200 {
					t.Fatalf("right password after the storm: %d %s, want locked for about 2h", r.Status, r.Body)
				}
				wantLocked(t, r, body.RetryAfter)
			}
		})
	}
}

package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store/redisstore"
)

// The storms below send many attempts for one login at once, to one
// server or spread over two sharing one Redis, and count how many
// passwords were really checked: the plain "Wrong username or password"
// answers, which must match the password failures in the audit trail.

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
	url := os.Getenv("XTRA_TEST_REDIS_URL")
	if url == "" {
		t.Skip("XTRA_TEST_REDIS_URL not set: skipping the real Redis run (e.g. XTRA_TEST_REDIS_URL=redis://127.0.0.1:6379/0)")
	}
	prefix := testPrefix(t, url, nil)
	return func(c *config.Config) { c.RedisURL, c.RedisPrefix = url, prefix }
}

func realClusterConfig(t *testing.T) func(*config.Config) {
	seeds := os.Getenv("XTRA_TEST_REDIS_CLUSTER")
	if seeds == "" {
		t.Skip("XTRA_TEST_REDIS_CLUSTER not set: skipping the Redis Cluster run (e.g. XTRA_TEST_REDIS_CLUSTER=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103; bash .ci/run starts one)")
	}
	cluster := strings.Split(seeds, ",")
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

// deleteRedisKeys deletes the prefix's keys one by one, master by master
// in a cluster, where keys of different slots cannot go in one DEL.
func deleteRedisKeys(t *testing.T, url string, cluster []string, prefix string) {
	ctx := context.Background()
	client, err := redisstore.Dial(ctx, url, cluster)
	if err != nil {
		t.Error(err)
		return
	}
	defer client.Close()
	del := func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, prefix+"*").Result()
		for _, k := range keys {
			if err == nil {
				err = node.Del(ctx, k).Err()
			}
		}
		return err
	}
	if c, ok := client.(*redis.ClusterClient); ok {
		err = c.ForEachMaster(ctx, del)
	} else {
		err = del(ctx, client.(*redis.Client))
	}
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
	answerWrong           = "403 " + wrongText
	answerCaptchaRequired = "403 Captcha Required"
	answerWrongCaptcha    = "403 Wrong Captcha"
	answerLocked          = "429 Too Many Failed Attempts"
)

func TestLockoutStorms(t *testing.T) {
	t.Parallel()
	for _, b := range stormBackends {
		for _, processes := range []int{1, 2} {
			name := fmt.Sprintf("%s/%d servers", b.name, processes)
			t.Run(name+"/wrong passwords", func(t *testing.T) {
				t.Parallel()
				servers := startServers(t, b, processes)
				stormWithoutCaptcha(t, servers)
			})
			t.Run(name+"/wrong passwords with a captcha each", func(t *testing.T) {
				t.Parallel()
				servers := startServers(t, b, processes)
				stormWithCaptchas(t, servers)
			})
			t.Run(name+"/one captcha, many tries", func(t *testing.T) {
				t.Parallel()
				servers := startServers(t, b, processes)
				stormOneCaptcha(t, servers)
			})
		}
	}
}

// stormWithoutCaptcha: of N simultaneous wrong passwords, at most
// XTRA_CAPTCHA_AFTER are checked; the rest need a captcha.
func stormWithoutCaptcha(t *testing.T, servers []*apptest.Env) {
	e := servers[0]
	e.AddUser("alice", alicePassword, false)
	bodies := make([]map[string]string, stormSize)
	for i := range bodies {
		bodies[i] = map[string]string{"login": "alice", "password": badPassword}
	}
	count := tally(storm(t, servers, bodies))
	checked, after := count[answerWrong], e.App.Cfg.CaptchaAfter
	if checked > after || count[answerCaptchaRequired] != stormSize-checked {
		t.Fatalf("answers %v: at most %d passwords may be checked without a captcha, the rest need one", count, after)
	}
	if checked != after {
		t.Fatalf("answers %v: want exactly %d checked", count, after)
	}
	if n := len(auditRows(t, e, "alice", "password")); n != checked {
		t.Fatalf("%d password failures audited, %d answered", n, checked)
	}
	wantCaptchaRequired(t, passwordLogin(servers[len(servers)-1], "alice", alicePassword, solved{}))
}

// stormWithCaptchas: with a fresh right captcha each, at most
// XTRA_LOCK_AFTER passwords are checked in all; the rest find the lock.
func stormWithCaptchas(t *testing.T, servers []*apptest.Env) {
	e := servers[0]
	e.AddUser("alice", alicePassword, false)
	bodies := make([]map[string]string, stormSize)
	for i := range bodies {
		s := fetchCaptcha(t, servers[i%len(servers)], "alice")
		bodies[i] = map[string]string{"login": "alice", "password": badPassword, "captcha_id": s.id, "captcha_str": s.answer}
	}
	count := tally(storm(t, servers, bodies))
	checked, lockAfter := count[answerWrong], e.App.Cfg.LockAfter
	if checked > lockAfter || count[answerLocked]+count[answerWrongCaptcha] != stormSize-checked {
		t.Fatalf("answers %v: at most %d passwords may be checked before the lock, the rest locked", count, lockAfter)
	}
	if checked != lockAfter {
		t.Fatalf("answers %v: want exactly %d checked (every attempt had a right captcha)", count, lockAfter)
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
}

// stormOneCaptcha: one captcha sent by many at once solves once. (The
// password is wrong: a right one would reset the count and let later
// attempts in without a captcha, rightly.)
func stormOneCaptcha(t *testing.T, servers []*apptest.Env) {
	e := servers[0]
	e.AddUser("alice", alicePassword, false)
	failLogin(t, e, "alice", 2)
	s := fetchCaptcha(t, e, "alice")
	bodies := make([]map[string]string, stormSize)
	for i := range bodies {
		bodies[i] = map[string]string{"login": "alice", "password": badPassword, "captcha_id": s.id, "captcha_str": s.answer}
	}
	count := tally(storm(t, servers, bodies))
	if count[answerWrong] != 1 || count[answerWrongCaptcha] != stormSize-1 {
		t.Fatalf("answers %v: want one password checked and %d Wrong Captcha", count, stormSize-1)
	}
}

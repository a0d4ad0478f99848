package lockout_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"xtraauth/account"
	"xtraauth/captcha"
	"xtraauth/fault"
	"xtraauth/internal/testkit"
	"xtraauth/lockout"
	"xtraauth/store"
	"xtraauth/store/redisstore"
	"xtraauth/store/sqlstore"
)

// TestMain silences go-redis's own lines about failed dials: the tests
// that stop a server check the errors they expect themselves.
func TestMain(m *testing.M) {
	testkit.QuietRedis()
	os.Exit(m.Run())
}

const (
	rightPassword = "right-password"
	wrongPassword = "wrong-password"
	addrA         = "192.0.2.1"
	addrB         = "192.0.2.2"
)

// backend is a Redis the tests run on: miniredis always, a real Redis and
// a Redis Cluster when XTRA_TEST_REDIS_URL and XTRA_TEST_REDIS_CLUSTER name
// them.
type backend struct {
	name string
	// start gives connect, which dials a new client to the server (a second
	// process has connections of its own), and mr: the server for miniredis
	// (to move its clock or stop it), nil for a real Redis.
	start func(t *testing.T) (connect func() redis.UniversalClient, mr *miniredis.Miniredis)
}

var backends = []backend{
	{"miniredis", func(t *testing.T) (func() redis.UniversalClient, *miniredis.Miniredis) {
		mr := miniredis.RunT(t)
		return func() redis.UniversalClient { return miniClient(t, mr) }, mr
	}},
	{"redis", func(t *testing.T) (func() redis.UniversalClient, *miniredis.Miniredis) {
		url := testkit.RedisURL(t)
		return func() redis.UniversalClient { return dial(t, url, nil) }, nil
	}},
	{"redis cluster", func(t *testing.T) (func() redis.UniversalClient, *miniredis.Miniredis) {
		seeds := testkit.RedisCluster(t)
		return func() redis.UniversalClient { return dial(t, "", seeds) }, nil
	}},
}

// miniClient does not retry, so the tests that stop the server do not
// wait out go-redis's backoff.
func miniClient(t *testing.T, mr *miniredis.Miniredis) redis.UniversalClient {
	c := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func dial(t *testing.T, url string, cluster []string) redis.UniversalClient {
	t.Helper()
	c, err := redisstore.Dial(context.Background(), url, cluster)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newMiniFixture is a fixture on a miniredis of its own, for the tests
// that move its clock or stop it.
func newMiniFixture(t *testing.T, cfg lockout.Config) *fixture {
	mr := miniredis.RunT(t)
	return newFixture(t, miniClient(t, mr), mr, cfg)
}

// onEachBackend runs fn as a subtest per backend, on a fresh fixture.
func onEachBackend(t *testing.T, cfg lockout.Config, fn func(t *testing.T, f *fixture)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			connect, mr := b.start(t)
			fn(t, newFixture(t, connect(), mr, cfg))
		})
	}
}

// fixture is one server process's lockout, captchas and account service on
// a Redis (under a key prefix of its own) and a SQLite audit trail.
type fixture struct {
	t        *testing.T
	cfg      lockout.Config
	prefix   string
	sql      *sqlstore.Store
	eph      *redisstore.Store
	captchas *captcha.Service
	lk       *lockout.Lockout
	accounts *account.Service
	mr       *miniredis.Miniredis // nil on a real Redis
	clock    *testkit.Clock
}

func newFixture(t *testing.T, client redis.UniversalClient, mr *miniredis.Miniredis, cfg lockout.Config) *fixture {
	t.Helper()
	sql, err := sqlstore.Open(context.Background(), "", t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sql.Close() })
	prefix := "xatest-lockout:" + rand.Text()[:12] + ":"
	if mr == nil {
		t.Cleanup(func() {
			if err := redisstore.DeletePrefix(context.Background(), client, prefix); err != nil {
				t.Errorf("delete test keys: %v", err)
			}
		})
	}
	f := &fixture{t: t, cfg: cfg, prefix: prefix, sql: sql, mr: mr, clock: testkit.NewClock()}
	f = f.join(client)
	for _, login := range []string{"alice", "bob", "carol"} {
		if _, err := f.accounts.Create(context.Background(), store.User{Login: login, Name: login}, rightPassword); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// join makes another process's services on client, sharing f's Redis key
// prefix, SQL store and clock.
func (f *fixture) join(client redis.UniversalClient) *fixture {
	f.t.Helper()
	g := *f
	g.eph = redisstore.New(client, f.prefix)
	g.captchas = captcha.New(g.eph, 5*time.Minute)
	g.lk = lockout.New(f.cfg, g.eph, g.captchas, f.sql, f.clock.Now)
	accounts, err := account.New(context.Background(), account.Deps{
		Users: f.sql, DevKeys: f.sql, Sessions: g.eph, Gate: g.lk,
		Hasher: account.NewHasher(account.HashParams(testkit.CheapHash), 8, 10*time.Second, time.Now, nil), Now: f.clock.Now,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	g.accounts = accounts
	return &g
}

// advance moves the clock and Redis TTLs; only miniredis can.
func (f *fixture) advance(d time.Duration) {
	f.t.Helper()
	if f.mr == nil {
		f.t.Fatal("advance needs miniredis")
	}
	f.clock.Advance(d)
	f.mr.FastForward(d)
}

// solution is a captcha sent with an attempt; the zero value sends none.
type solution struct{ id, answer string }

// newCaptcha makes a captcha for binding from addrA and reads its answer,
// as only a test may, to solve it through the package API.
func (f *fixture) newCaptcha(binding string) solution { return f.newCaptchaFrom(binding, addrA) }

func (f *fixture) newCaptchaFrom(binding, address string) solution {
	f.t.Helper()
	id, err := f.captchas.Create(context.Background(), binding, address, false)
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := f.eph.GetCaptcha(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return solution{id: fmt.Sprint(id), answer: c.Answer}
}

func (f *fixture) loginCaptcha(login string) solution {
	return f.newCaptcha(captcha.LoginBinding(account.Key(login)))
}

// captchaAlive reports whether a captcha has not been used up.
func (f *fixture) captchaAlive(s solution) bool {
	f.t.Helper()
	var id int64
	if _, err := fmt.Sscan(s.id, &id); err != nil {
		f.t.Fatal(err)
	}
	_, err := f.eph.GetCaptcha(context.Background(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		f.t.Fatal(err)
	}
	return err == nil
}

// Outcomes of one password attempt.
const (
	checkedWrong    = "password checked: wrong"
	loggedIn        = "password checked: right"
	captchaRequired = "captcha required"
	wrongCaptcha    = "wrong captcha"
	locked          = "locked"
)

// try makes one password attempt through the account service, the way
// every front door does, and names its outcome.
func (f *fixture) try(login, password, address string, s solution) (outcome string, retryAfter int64) {
	f.t.Helper()
	outcome, retryAfter, err := attempt(f.accounts, login, password, address, s)
	if err != nil {
		f.t.Fatalf("%s from %s: %v", login, address, err)
	}
	return outcome, retryAfter
}

// attempt is try without the test handle, for goroutines.
func attempt(accounts *account.Service, login, password, address string, s solution) (string, int64, error) {
	a := account.Attempt{Login: login, Address: address, CaptchaID: s.id, CaptchaAnswer: s.answer}
	_, ok, err := accounts.CheckPassword(context.Background(), a, password)
	var le *lockout.LockedError
	switch {
	case errors.As(err, &le):
		return locked, le.RetryAfterSeconds(), nil
	case errors.Is(err, lockout.ErrCaptchaRequired):
		return captchaRequired, 0, nil
	case errors.Is(err, lockout.ErrWrongCaptcha):
		return wrongCaptcha, 0, nil
	case err != nil:
		return "", 0, err
	case ok:
		return loggedIn, 0, nil
	}
	return checkedWrong, 0, nil
}

// client makes one secret attempt of an OAuth client the way
// oauth.Authenticate does: enter, check the secret, finish. right says
// whether the secret is the client's.
func (f *fixture) client(id, address string, right bool) (outcome string, retryAfter int64) {
	f.t.Helper()
	ctx := context.Background()
	var le *lockout.LockedError
	failures, err := f.lk.EnterClient(ctx, id, address)
	if errors.As(err, &le) {
		return locked, le.RetryAfterSeconds()
	}
	if err == nil {
		err = f.lk.FinishClient(ctx, id, address, failures, right)
	}
	if err != nil {
		f.t.Fatalf("client %s from %s: %v", id, address, err)
	}
	if right {
		return loggedIn, 0
	}
	return checkedWrong, 0
}

func (f *fixture) wantClient(id, address string, right bool, want string) {
	f.t.Helper()
	if got, _ := f.client(id, address, right); got != want {
		f.t.Fatalf("client %s (right secret %v) from %s: %s, want %s", id, right, address, got, want)
	}
}

func (f *fixture) want(login, password, address string, s solution, want string) {
	f.t.Helper()
	if got, _ := f.try(login, password, address, s); got != want {
		f.t.Fatalf("%s (password %q, captcha %v) from %s: %s, want %s", login, password, s != solution{}, address, got, want)
	}
}

// fail makes n wrong attempts for login from address, each with a fresh
// right captcha when one is needed, and checks each was a plain failure.
func (f *fixture) fail(login, address string, n int) {
	f.t.Helper()
	for range n {
		var s solution
		if st := f.entry(account.Key(login)); f.cfg.CaptchaAfter > 0 && st.Failures >= f.cfg.CaptchaAfter {
			s = f.loginCaptcha(login)
		}
		f.want(login, wrongPassword, address, s, checkedWrong)
	}
}

// entries is the admin's view of every login, client and address.
func (f *fixture) entries() []lockout.Entry {
	f.t.Helper()
	entries, err := f.lk.List(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return entries
}

// entry is the admin's view of a login (zero if it has no failures).
func (f *fixture) entry(name string) lockout.Entry {
	f.t.Helper()
	for _, e := range f.entries() {
		if e.Name == name {
			return e
		}
	}
	return lockout.Entry{Name: name}
}

// audit lists the audit events of subject, newest first.
func (f *fixture) audit(subject string) []store.AuditEvent {
	f.t.Helper()
	events, _, err := f.sql.ListAuditEvents(context.Background(), store.AuditFilter{Subject: subject, Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}

func (f *fixture) countAudit(subject, kind string) int {
	n := 0
	for _, e := range f.audit(subject) {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// retryText shows a Retry-After in seconds. A real Redis's clock runs on
// while the test does, so there the last minute of a 2h lock shows as 7200.
func (f *fixture) retryText(seconds int64) string {
	if f.mr == nil && seconds > 7200-60 && seconds < 7200 {
		seconds = 7200
	}
	return fmt.Sprint(seconds)
}

// TestStages walks one login through the contract's stages: two plain
// failures, then a captcha is needed before the password is looked at, the
// fifth failure locks for LockFor, and then even the right password is
// refused unchecked.
func TestStages(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		steps := []struct {
			name     string
			password string
			captcha  func() solution
			want     string
		}{
			{"1st failure", wrongPassword, nil, checkedWrong},
			{"2nd failure", wrongPassword, nil, checkedWrong},
			{"no captcha", wrongPassword, nil, captchaRequired},
			{"right password, no captcha", rightPassword, nil, captchaRequired},
			{"captcha id, empty answer", wrongPassword, func() solution { return solution{id: f.loginCaptcha("alice").id} }, captchaRequired},
			{"wrong captcha", wrongPassword, func() solution { return solution{id: f.loginCaptcha("alice").id, answer: "zzzz"} }, wrongCaptcha},
			{"captcha of no id", wrongPassword, func() solution { return solution{id: "1", answer: "abcd"} }, wrongCaptcha},
			{"3rd failure, solved captcha", wrongPassword, func() solution { return f.loginCaptcha("alice") }, checkedWrong},
			{"4th failure, without id the newest captcha made from here", wrongPassword, func() solution {
				mine := f.loginCaptcha("alice")
				f.newCaptchaFrom(captcha.LoginBinding("alice"), addrB) // newer, but made elsewhere
				return solution{answer: mine.answer}
			}, checkedWrong},
			{"5th failure still answers as a failure", wrongPassword, func() solution { return f.loginCaptcha("alice") }, checkedWrong},
			{"right password and captcha while locked", rightPassword, func() solution { return f.loginCaptcha("alice") }, locked},
			{"right password while locked", rightPassword, nil, locked},
		}
		for _, st := range steps {
			var s solution
			if st.captcha != nil {
				s = st.captcha()
			}
			got, retry := f.try("alice", st.password, addrA, s)
			if got != st.want {
				t.Fatalf("%s: %s, want %s", st.name, got, st.want)
			}
			if got == locked && f.retryText(retry) != "7200" {
				t.Fatalf("%s: retry after %ds, want 7200", st.name, retry)
			}
		}
		// five password checks, all failures; the refusals counted nothing
		if n := f.countAudit("alice", "password"); n != 5 {
			t.Fatalf("%d password failures audited, want 5", n)
		}
		e := f.entry("alice")
		if e.Failures != 5 || !e.CaptchaRequired || e.LockedUntil == nil {
			t.Fatalf("entry %+v, want 5 failures, captcha required, locked", e)
		}
		// a real Redis's clock runs on while the test does: up to a minute less
		if left := e.LockedUntil.Sub(f.clock.Now()); left < 2*time.Hour-time.Minute || left > 2*time.Hour {
			t.Fatalf("locked until %v, %v after the service clock's now; want 2h", e.LockedUntil, left)
		}
		// others are not affected
		f.want("bob", rightPassword, addrA, solution{}, loggedIn)
	})
}

// TestCaptchaNotUsedUp: a captcha sent along when none is needed, right
// or wrong, with or without its id, is ignored and not used up; nor is one
// sent to a locked login.
func TestCaptchaNotUsedUp(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		s := f.loginCaptcha("alice")
		f.want("alice", wrongPassword, addrA, s, checkedWrong)
		f.want("alice", rightPassword, addrA, solution{id: s.id, answer: "zzzz"}, loggedIn) // resets
		f.want("alice", wrongPassword, addrA, solution{answer: s.answer}, checkedWrong)
		f.want("alice", wrongPassword, addrA, solution{id: s.id, answer: "zzzz"}, checkedWrong)
		if !f.captchaAlive(s) {
			t.Fatal("a captcha sent when none was needed was used up")
		}
		f.want("alice", wrongPassword, addrA, s, checkedWrong) // it still solves once needed
		if f.captchaAlive(s) {
			t.Fatal("a captcha that was needed was not used up")
		}

		f.fail("alice", addrA, 2)
		s = f.loginCaptcha("alice")
		f.want("alice", rightPassword, addrA, s, locked)
		f.want("alice", rightPassword, addrA, solution{answer: s.answer}, locked)
		if !f.captchaAlive(s) {
			t.Fatal("a captcha sent to a locked login was used up")
		}
	})
}

// TestRightPasswordResets: only a good password login resets the count.
func TestRightPasswordResets(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		f.fail("alice", addrA, 4)
		f.want("alice", rightPassword, addrA, f.loginCaptcha("alice"), loggedIn)
		if e := f.entry("alice"); e.Failures != 0 || e.LockedUntil != nil {
			t.Fatalf("after a good login: %+v", e)
		}
		f.want("alice", wrongPassword, addrA, solution{}, checkedWrong)
		f.want("alice", wrongPassword, addrA, solution{}, checkedWrong)
		f.want("alice", wrongPassword, addrA, solution{}, captchaRequired)

		// an unknown login never gets in, whatever it sends, so it is never reset
		f.fail("ghost", addrA, 5)
		f.want("ghost", rightPassword, addrA, solution{}, locked)
	})
}

// TestUnknownLoginsAlike: an unknown login goes through the same stages
// as a known one, so the answers do not tell them apart.
func TestUnknownLoginsAlike(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		outcomes := func(login string) []string {
			var got []string
			for i := range 7 {
				s := solution{}
				if i == 2 {
					s = solution{id: f.loginCaptcha(login).id, answer: "zzzz"}
				} else if i > 2 {
					s = f.loginCaptcha(login)
				}
				outcome, retry := f.try(login, wrongPassword, addrA, s)
				got = append(got, outcome+" "+f.retryText(retry))
			}
			outcome, retry := f.try(login, wrongPassword, addrA, solution{})
			return append(got, outcome+" "+f.retryText(retry))
		}
		known, unknown := outcomes("alice"), outcomes("nobody-here")
		if !slices.Equal(known, unknown) {
			t.Fatalf("known login:\n%q\nunknown login:\n%q", known, unknown)
		}
		if known[len(known)-1] != locked+" 7200" {
			t.Fatalf("stages %q do not end locked", known)
		}
		if a, b := f.countAudit("alice", "password"), f.countAudit("nobody-here", "password"); a != b || a != 5 {
			t.Fatalf("audited failures: known %d, unknown %d; want 5 each", a, b)
		}
	})
}

// TestLoginCase: Admin and admin share one count, and a captcha made for
// one spelling solves for another.
func TestLoginCase(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		f.want("Alice", wrongPassword, addrA, solution{}, checkedWrong)
		f.want("ALICE", wrongPassword, addrA, solution{}, checkedWrong)
		f.want("alice", rightPassword, addrA, solution{}, captchaRequired)
		f.want("aLiCe", rightPassword, addrA, f.loginCaptcha("ALICE"), loggedIn)
	})
}

// TestDevKeys: a dev_key login ignores the login's captcha and lock, and
// does not reset its count; wrong dev_keys count against the address only.
func TestDevKeys(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice, err := f.accounts.UserByLogin(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		key, err := f.accounts.CreateDevKey(ctx, alice.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		devKey := func(login, k, address string) (ok bool, lockedErr bool) {
			t.Helper()
			_, ok, err := f.accounts.CheckDevKey(ctx, account.Attempt{Login: login, Address: address}, k)
			var le *lockout.LockedError
			if errors.As(err, &le) {
				return false, true
			}
			if err != nil {
				t.Fatal(err)
			}
			return ok, false
		}
		wantDevKey := func(what, login, k, address string, wantOK, wantLocked bool) {
			t.Helper()
			if ok, l := devKey(login, k, address); ok != wantOK || l != wantLocked {
				t.Fatalf("%s: ok %v locked %v, want ok %v locked %v", what, ok, l, wantOK, wantLocked)
			}
		}

		f.fail("alice", addrA, 5)
		wantDevKey("dev_key of a locked login", "alice", key.Key, addrA, true, false)
		f.want("alice", rightPassword, addrA, solution{}, locked) // and the lock stays

		wantDevKey("dev_key with another spelling of the login", "ALICE", key.Key, addrA, true, false)

		// right keys are refunded, so only the wrong ones add up to 20
		for range 10 {
			wantDevKey("wrong dev_key", "alice", "junk", addrB, false, false)
		}
		for range 30 {
			wantDevKey("right dev_key", "alice", key.Key, addrB, true, false)
		}
		for range 9 {
			wantDevKey("wrong dev_key of an unknown login", "ghost", "junk", addrB, false, false)
		}
		wantDevKey("right dev_key after 19 wrong", "alice", key.Key, addrB, true, false)
		wantDevKey("20th wrong dev_key", "bob", key.Key, addrB, false, false) // alice's key is wrong for bob
		wantDevKey("right dev_key after 20 wrong", "alice", key.Key, addrB, false, true)
		wantDevKey("right dev_key from another address", "alice", key.Key, addrA, true, false)
		// the address's password logins are untouched, and no login was counted
		f.want("carol", rightPassword, addrB, solution{}, loggedIn)
		if e := f.entry("ghost"); e.Failures != 0 {
			t.Fatalf("wrong dev_keys counted against the login: %+v", e)
		}
		if e := f.entry("address:" + addrB); e.Failures != 20 || e.LockedUntil == nil || e.CaptchaRequired {
			t.Fatalf("address entry %+v, want 20 failures and locked", e)
		}
		if n := f.countAudit("ghost", "dev_key") + f.countAudit("alice", "dev_key") + f.countAudit("bob", "dev_key"); n != 20 {
			t.Fatalf("%d wrong dev_keys audited, want 20", n)
		}
		// the dev_key logins did not reset alice's count
		if e := f.entry("alice"); e.Failures != 5 || e.LockedUntil == nil {
			t.Fatalf("after dev_key logins: %+v", e)
		}

		if err := f.lk.Unlock(ctx, "address:"+addrB, "root"); err != nil {
			t.Fatal(err)
		}
		wantDevKey("right dev_key after unlocking the address", "alice", key.Key, addrB, true, false)
	})
}

// TestClients: OAuth clients are counted in a namespace of their own and
// never get a captcha. Client ids are not secret, so wrong secrets lock
// only the address that sent them (at LockAfter), and past ClientCeiling
// lock the client for addresses that have not presented its right secret.
func TestClients(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		const id = "alice@ops" // named like a user, with an '@' like a client's address entry
		// past CaptchaAfter the right secret gets in, and resets the address's count
		for range 4 {
			f.wantClient(id, addrA, false, checkedWrong)
		}
		f.wantClient(id, addrA, true, loggedIn)
		for range 4 {
			f.wantClient(id, addrA, false, checkedWrong)
		}
		f.wantClient(id, addrA, true, loggedIn)

		// per address: the 5th wrong secret locks that address out of this client only
		for range 5 {
			f.wantClient(id, addrB, false, checkedWrong)
		}
		if got, retry := f.client(id, addrB, true); got != locked || f.retryText(retry) != "7200" {
			t.Fatalf("right secret from the locked address: %s %ds, want locked for 7200s", got, retry)
		}
		f.wantClient(id, addrA, true, loggedIn)
		f.wantClient("other", addrB, true, loggedIn)
		// a login of the same name is counted apart: neither locks the other
		f.fail(id, addrB, 5)
		f.want(id, rightPassword, addrB, solution{}, locked)
		f.wantClient(id, addrA, true, loggedIn)

		// the ceiling: 50 wrong secrets in all (13 so far) lock out the
		// addresses that never presented the right one
		const stranger = "198.51.100.200"
		for i := range 50 - 13 - 1 {
			f.wantClient(id, fmt.Sprintf("198.51.100.%d", i/4), false, checkedWrong)
		}
		f.wantClient(id, stranger, true, loggedIn) // 49: not yet; and now it is known
		f.wantClient(id, "198.51.100.100", false, checkedWrong)
		if got, retry := f.client(id, "198.51.100.101", true); got != locked || f.retryText(retry) != "7200" {
			t.Fatalf("a stranger past the ceiling: %s %ds, want locked for 7200s", got, retry)
		}
		f.wantClient(id, addrA, true, loggedIn)    // its callers get in
		f.wantClient(id, stranger, true, loggedIn) // as does an address that presented the right secret before
		f.wantClient(id, addrB, true, locked)      // but not one locked on its own

		entries := map[string]lockout.Entry{}
		for _, e := range f.entries() {
			entries[e.Name] = e
		}
		if e := entries["client:"+id]; e.Failures != 50 || e.LockedUntil == nil || e.CaptchaRequired {
			t.Errorf("the client's entry %+v, want 50 failures and locked", e)
		}
		if e := entries["client:"+id+"@"+addrB]; e.Failures != 5 || e.LockedUntil == nil || e.CaptchaRequired {
			t.Errorf("the client's entry for %s %+v, want 5 failures and locked", addrB, e)
		}
		if n := f.countAudit("client:"+id, "client_secret"); n != 1 {
			t.Errorf("%d wrong secrets audited in a minute, want 1 (free rows are rate-limited)", n)
		}

		// unlocking the client lets every address in again
		if err := f.lk.Unlock(ctx, "client:"+id, "root"); err != nil {
			t.Fatal(err)
		}
		f.wantClient(id, addrB, true, loggedIn)
		f.wantClient(id, "198.51.100.101", true, loggedIn)
		for _, e := range f.entries() {
			if strings.HasPrefix(e.Name, "client:"+id) {
				t.Errorf("after the unlock: %+v", e)
			}
		}
		if n := f.countAudit("client:"+id, "unlock"); n != 1 {
			t.Errorf("%d unlocks audited, want 1", n)
		}
	})
}

// TestAddressSpraying: 20 password failures from one address across any
// logins make every password login from it need a captcha.
func TestAddressSpraying(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		f.fail("carol", addrB, 5) // carol is locked from elsewhere
		for i := range 19 {
			f.want(fmt.Sprintf("user%d", i), wrongPassword, addrA, solution{}, checkedWrong)
		}
		f.want("alice", rightPassword, addrA, solution{}, loggedIn) // 19: not yet
		f.want("user19", wrongPassword, addrA, solution{}, checkedWrong)

		f.want("bob", rightPassword, addrA, solution{}, captchaRequired)
		f.want("login-never-seen", wrongPassword, addrA, solution{}, captchaRequired)
		f.want("bob", rightPassword, addrA, solution{id: "7", answer: "abcd"}, wrongCaptcha)
		f.want("bob", rightPassword, addrB, solution{}, loggedIn)
		f.want("bob", rightPassword, addrA, f.loginCaptcha("bob"), loggedIn)
		f.want("bob", rightPassword, addrA, f.newCaptcha(captcha.AddressBinding(addrA)), loggedIn)
		f.want("carol", rightPassword, addrA, solution{}, locked) // the lock comes first
		if n := f.entry("bob").Failures; n != 0 {
			t.Fatalf("bob has %d failures, want 0", n)
		}
	})
}

func TestAllowCaptcha(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for i := range 60 {
			if err := f.lk.AllowCaptcha(ctx, addrA); err != nil {
				t.Fatalf("captcha %d: %v", i+1, err)
			}
		}
		err := f.lk.AllowCaptcha(ctx, addrA)
		if w, ok := err.(fault.Waiter); !fault.Is(err, fault.RateLimited) || !ok || w.TryAgainIn() != time.Minute {
			t.Fatalf("61st captcha in a minute: %v, want rate-limited for a minute", err)
		}
		if err := f.lk.AllowCaptcha(ctx, addrB); err != nil {
			t.Fatalf("another address: %v", err)
		}
		if f.mr != nil {
			f.advance(time.Minute)
			if err := f.lk.AllowCaptcha(ctx, addrA); err != nil {
				t.Fatalf("a minute later: %v", err)
			}
		}
	})
}

// TestCancel: an attempt whose password was never checked (the hashing
// pool was full) is taken back, and so is the lock it caused.
func TestCancel(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := account.Attempt{Login: "alice", Address: addrA}
		for range 2 {
			if err := f.lk.Enter(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.lk.Enter(ctx, a); !errors.Is(err, lockout.ErrCaptchaRequired) {
			t.Fatalf("3rd entry: %v, want captcha required", err)
		}
		f.lk.Cancel(ctx, a)
		if err := f.lk.Enter(ctx, a); err != nil {
			t.Fatalf("entry after a cancel: %v", err)
		}
		for range 3 {
			s := f.loginCaptcha("alice")
			if err := f.lk.Enter(ctx, account.Attempt{Login: "alice", Address: addrA, CaptchaID: s.id, CaptchaAnswer: s.answer}); err != nil {
				t.Fatal(err)
			}
		}
		if e := f.entry("alice"); e.Failures != 5 || e.LockedUntil == nil {
			t.Fatalf("after 5 entries: %+v", e)
		}
		f.lk.Cancel(ctx, a)
		if e := f.entry("alice"); e.Failures != 4 || e.LockedUntil != nil {
			t.Fatalf("after cancelling the 5th: %+v, want 4 failures and no lock", e)
		}
	})
}

// TestThresholdsOff: CaptchaAfter 0 never asks a captcha but still locks;
// LockAfter 0 never locks.
func TestThresholdsOff(t *testing.T) {
	t.Parallel()
	noCaptcha := lockout.DefaultConfig
	noCaptcha.CaptchaAfter = 0
	t.Run("no captcha", func(t *testing.T) {
		onEachBackend(t, noCaptcha, func(t *testing.T, f *fixture) {
			for range 5 {
				f.want("alice", wrongPassword, addrA, solution{}, checkedWrong)
			}
			f.want("alice", rightPassword, addrA, solution{}, locked)
			for i := range 25 { // no per-address captcha either
				f.want(fmt.Sprintf("user%d", i), wrongPassword, addrA, solution{}, checkedWrong)
			}
			f.want("bob", rightPassword, addrA, solution{}, loggedIn)
		})
	})
	noLock := lockout.DefaultConfig
	noLock.LockAfter = 0
	t.Run("no lock", func(t *testing.T) {
		onEachBackend(t, noLock, func(t *testing.T, f *fixture) {
			f.fail("alice", addrA, 12)
			f.want("alice", rightPassword, addrA, solution{}, captchaRequired)
			f.want("alice", rightPassword, addrA, f.loginCaptcha("alice"), loggedIn)
		})
	})
	neither := lockout.DefaultConfig
	neither.CaptchaAfter, neither.LockAfter = 0, 0
	t.Run("neither", func(t *testing.T) {
		onEachBackend(t, neither, func(t *testing.T, f *fixture) {
			f.fail("alice", addrA, 12)
			f.want("alice", rightPassword, addrA, solution{}, loggedIn)
		})
	})
}

// TestExpiry moves the clock: failures expire LockFor after the last one,
// locks after LockFor, address blocks after their windows.
func TestExpiry(t *testing.T) {
	t.Parallel()
	newF := func(t *testing.T) *fixture { return newMiniFixture(t, lockout.DefaultConfig) }
	t.Run("failures expire LockFor after the last", func(t *testing.T) {
		f := newF(t)
		f.fail("alice", addrA, 1)
		f.advance(time.Hour)
		f.fail("alice", addrA, 1)
		f.advance(2*time.Hour - time.Second) // 3h after the first failure
		f.want("alice", rightPassword, addrA, solution{}, captchaRequired)
		f.advance(time.Second)
		f.want("alice", wrongPassword, addrA, solution{}, checkedWrong)
		if n := f.entry("alice").Failures; n != 1 {
			t.Fatalf("%d failures, want 1 (the old ones expired)", n)
		}
	})
	t.Run("lock lasts LockFor from the 5th failure", func(t *testing.T) {
		f := newF(t)
		f.fail("alice", addrA, 5)
		f.advance(30 * time.Minute)
		if _, retry := f.try("alice", rightPassword, addrA, solution{}); retry != 5400 {
			t.Fatalf("retry after %ds, want 5400", retry)
		}
		f.advance(90*time.Minute - time.Second)
		if _, retry := f.try("alice", rightPassword, addrA, solution{}); retry != 1 {
			t.Fatalf("retry after %ds a second before the end, want 1", retry)
		}
		f.advance(time.Second)
		f.want("alice", rightPassword, addrA, solution{}, loggedIn)
	})
	t.Run("wrong dev_keys count for 10 minutes after the last, then block for 10", func(t *testing.T) {
		f := newF(t)
		a := account.Attempt{Login: "alice", Address: addrA}
		wrong := func(n int) {
			t.Helper()
			for range n {
				if _, _, err := f.accounts.CheckDevKey(context.Background(), a, "junk"); err != nil {
					t.Fatal(err)
				}
			}
		}
		wrong(19)
		f.advance(10 * time.Minute) // forgotten
		wrong(19)
		f.advance(10*time.Minute - time.Second)
		wrong(1) // the 20th within 10 minutes of the one before
		var le *lockout.LockedError
		if _, _, err := f.accounts.CheckDevKey(context.Background(), a, "junk"); !errors.As(err, &le) || le.RetryAfterSeconds() != 600 {
			t.Fatalf("21st wrong dev_key: %v, want locked for 600s", err)
		}
		f.advance(10 * time.Minute)
		if _, _, err := f.accounts.CheckDevKey(context.Background(), a, "junk"); err != nil {
			t.Fatalf("10 minutes later: %v", err)
		}
	})
	t.Run("client lock", func(t *testing.T) {
		f := newF(t)
		for range 5 {
			f.wantClient("svc", addrA, false, checkedWrong)
		}
		if _, retry := f.client("svc", addrA, true); retry != 7200 {
			t.Fatalf("right secret after 5 wrong: retry after %ds, want 7200", retry)
		}
		f.advance(2*time.Hour - time.Second)
		f.wantClient("svc", addrA, true, locked)
		f.advance(time.Second)
		f.wantClient("svc", addrA, true, loggedIn)
	})
	t.Run("address window", func(t *testing.T) {
		f := newF(t)
		for i := range 20 {
			f.want(fmt.Sprintf("user%d", i), wrongPassword, addrA, solution{}, checkedWrong)
		}
		f.want("bob", rightPassword, addrA, solution{}, captchaRequired)
		f.advance(10 * time.Minute)
		f.want("bob", rightPassword, addrA, solution{}, loggedIn)
	})
}

// TestListUnlockAudit covers the admin's view: entries, unlock, and the
// audit trail of failures, captchas, locks and unlocks.
func TestListUnlockAudit(t *testing.T) {
	t.Parallel()
	onEachBackend(t, lockout.DefaultConfig, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.fail("alice", addrA, 3)
		f.fail("Bob", addrB, 5)
		f.want("bob", wrongPassword, addrB, solution{}, locked)
		f.want("alice", wrongPassword, addrA, solution{}, captchaRequired)
		f.want("alice", wrongPassword, addrA, solution{id: "5", answer: "abcd"}, wrongCaptcha)

		entries, err := f.lk.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name)
			switch e.Name {
			case "alice":
				if e.Failures != 3 || !e.CaptchaRequired || e.LockedUntil != nil {
					t.Errorf("alice: %+v", e)
				}
			case "bob":
				if e.Failures != 5 || !e.CaptchaRequired || e.LockedUntil == nil {
					t.Errorf("bob: %+v", e)
				}
			}
		}
		if !slices.Equal(names, []string{"alice", "bob"}) {
			t.Fatalf("entries %q, want alice and bob", names)
		}

		if err := f.lk.Unlock(ctx, "BOB", "root"); err != nil {
			t.Fatal(err)
		}
		if e := f.entry("bob"); e.Failures != 0 || e.LockedUntil != nil {
			t.Fatalf("bob after unlock: %+v", e)
		}
		f.want("bob", rightPassword, addrB, solution{}, loggedIn)

		type row struct{ kind, outcome, address string }
		rows := func(subject string) []row {
			var out []row
			for _, e := range f.audit(subject) {
				if e.Kind == "lock" {
					e.Outcome = e.Outcome[:len("locked until")]
				}
				out = append(out, row{e.Kind, e.Outcome, e.Address})
			}
			return out
		}
		wantBob := []row{
			{"unlock", "by root", ""},
			{"password", "failure", addrB},
			{"lock", "locked until", addrB}, // recorded when the 5th attempt was counted
			{"password", "failure", addrB},
			{"password", "failure", addrB},
			{"password", "failure", addrB},
			{"password", "failure", addrB},
		}
		if got := rows("bob"); !slices.Equal(got, wantBob) {
			t.Errorf("bob's audit, newest first:\n got %v\nwant %v", got, wantBob)
		}
		wantAlice := []row{
			{"captcha", "wrong", addrA},
			{"captcha", "required", addrA},
			{"password", "failure", addrA},
			{"password", "failure", addrA},
			{"password", "failure", addrA},
		}
		if got := rows("alice"); !slices.Equal(got, wantAlice) {
			t.Errorf("alice's audit, newest first:\n got %v\nwant %v", got, wantAlice)
		}
		for _, e := range f.audit("") {
			if !e.At.Equal(f.clock.Now()) {
				t.Fatalf("audit event at %v, want the service clock's %v", e.At, f.clock.Now())
			}
		}
	})
}

// TestFailClosed: with the ephemeral store gone, no attempt gets through,
// not even with the right secret.
func TestFailClosed(t *testing.T) {
	t.Parallel()
	f := newMiniFixture(t, lockout.DefaultConfig)
	ctx := context.Background()
	alice, err := f.accounts.UserByLogin(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	key, err := f.accounts.CreateDevKey(ctx, alice.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	f.mr.Close()
	a := account.Attempt{Login: "alice", Address: addrA}
	if _, ok, err := f.accounts.CheckPassword(ctx, a, rightPassword); ok || err == nil {
		t.Fatalf("password with the store down: ok %v, err %v; want an error", ok, err)
	}
	if _, ok, err := f.accounts.CheckDevKey(ctx, a, key.Key); ok || err == nil {
		t.Fatalf("dev_key with the store down: ok %v, err %v; want an error", ok, err)
	}
	if _, err := f.lk.EnterClient(ctx, "svc", addrA); err == nil {
		t.Fatal("client secret let in with the store down")
	}
	if err := f.lk.FinishClient(ctx, "svc", addrA, 0, false); err == nil {
		t.Fatal("wrong client secret not counted, and no error, with the store down")
	}
	if err := f.lk.AllowCaptcha(ctx, addrA); err == nil {
		t.Fatal("captcha allowed with the store down")
	}
	if _, err := f.lk.List(ctx); err == nil {
		t.Fatal("list with the store down: no error")
	}
}

// TestConcurrency sends many wrong passwords at once, to one process or
// spread over two sharing one Redis, and counts how many were checked
// (the plain failures, which the audit trail must match) on every backend.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	const n = 40
	storms := []struct {
		name string
		// prepare readies f and returns the attempts to send at once
		prepare func(f *fixture) []stormAttempt
		check   func(t *testing.T, f *fixture, count map[string]int)
	}{
		{"one login: CaptchaAfter checked, the rest need a captcha", func(f *fixture) []stormAttempt {
			return repeat(n, func(int) stormAttempt { return stormAttempt{login: "alice"} })
		}, func(t *testing.T, f *fixture, count map[string]int) {
			after := f.cfg.CaptchaAfter
			if count[checkedWrong] != after || count[captchaRequired] != n-after {
				t.Fatalf("outcomes %v: want exactly %d checked, the rest asked for a captcha", count, after)
			}
			if e := f.entry("alice"); e.Failures != after || e.LockedUntil != nil {
				t.Fatalf("entry after the storm: %+v", e)
			}
			if audited := f.countAudit("alice", "password"); audited != after {
				t.Fatalf("%d password failures audited, %d answered", audited, after)
			}
		}},
		{"one login, a right captcha each: LockAfter checked, the rest locked", func(f *fixture) []stormAttempt {
			return repeat(n, func(int) stormAttempt { return stormAttempt{login: "alice", s: f.loginCaptcha("alice")} })
		}, func(t *testing.T, f *fixture, count map[string]int) {
			lockAfter := f.cfg.LockAfter
			if count[checkedWrong] != lockAfter || count[locked]+count[wrongCaptcha] != n-lockAfter {
				t.Fatalf("outcomes %v: want exactly %d checked (each had a right captcha), the rest locked", count, lockAfter)
			}
			if e := f.entry("alice"); e.Failures != lockAfter || e.LockedUntil == nil {
				t.Fatalf("entry after the storm: %+v", e)
			}
			if audited := f.countAudit("alice", "password"); audited != lockAfter {
				t.Fatalf("%d password failures audited, %d answered", audited, lockAfter)
			}
			if locks := f.countAudit("alice", "lock"); locks != 1 {
				t.Fatalf("%d lock events audited for one lock", locks)
			}
			f.want("alice", rightPassword, addrA, f.loginCaptcha("alice"), locked)
		}},
		{"one captcha sent by all: it solves once", func(f *fixture) []stormAttempt {
			f.fail("alice", addrA, f.cfg.CaptchaAfter)
			s := f.loginCaptcha("alice")
			return repeat(n, func(int) stormAttempt { return stormAttempt{login: "alice", s: s} })
		}, func(t *testing.T, f *fixture, count map[string]int) {
			if count[checkedWrong] != 1 || count[wrongCaptcha] != n-1 {
				t.Fatalf("outcomes %v: want one password checked and %d wrong captchas", count, n-1)
			}
		}},
		{"many logins from one address: AddressFailures checked, the rest need a captcha", func(f *fixture) []stormAttempt {
			return repeat(2*n, func(i int) stormAttempt { return stormAttempt{login: fmt.Sprintf("user%d", i)} })
		}, func(t *testing.T, f *fixture, count map[string]int) {
			limit := f.cfg.AddressFailures
			if count[checkedWrong] != limit || count[captchaRequired] != 2*n-limit {
				t.Fatalf("outcomes %v: want exactly %d checked, the rest asked for a captcha", count, limit)
			}
			// from now on every password login from the address needs one
			f.want("alice", rightPassword, addrA, solution{}, captchaRequired)
		}},
	}
	for _, b := range backends {
		for _, processes := range []int{1, 2} {
			for _, st := range storms {
				t.Run(fmt.Sprintf("%s/%d processes/%s", b.name, processes, st.name), func(t *testing.T) {
					t.Parallel()
					connect, mr := b.start(t)
					f := newFixture(t, connect(), mr, lockout.DefaultConfig)
					procs := []*fixture{f}
					if processes == 2 {
						procs = append(procs, f.join(connect())) // its own connections to the same server
					}
					st.check(t, f, storm(t, procs, st.prepare(f)))
				})
			}
		}
	}
}

// stormAttempt is one wrong password from addrA in a storm.
type stormAttempt struct {
	login string
	s     solution
}

func repeat(n int, gen func(i int) stormAttempt) []stormAttempt {
	out := make([]stormAttempt, n)
	for i := range out {
		out[i] = gen(i)
	}
	return out
}

// storm sends every attempt at once, attempt i to process i mod
// len(procs), and tallies the outcomes.
func storm(t *testing.T, procs []*fixture, attempts []stormAttempt) map[string]int {
	outcomes := make([]string, len(attempts))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, a := range attempts {
		wg.Go(func() {
			<-start
			var err error
			outcomes[i], _, err = attempt(procs[i%len(procs)].accounts, a.login, wrongPassword, addrA, a.s)
			if err != nil {
				t.Errorf("attempt %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	count := map[string]int{}
	for _, o := range outcomes {
		count[o]++
	}
	return count
}

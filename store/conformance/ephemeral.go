package conformance

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"xtraauth/store"
)

// Ephemeral is the state kept in Redis: sessions, counters, captchas and
// OAuth access tokens.
type Ephemeral interface {
	store.Sessions
	store.Counters
	store.Captchas
	store.AccessTokens
}

// Lifetimes the ephemeral tests use. Expiry tests sleep on real servers, so
// they are short; the rest use an hour so nothing expires by accident.
// Waits stop at least 100ms short of an expiry a test must not see yet and
// go 200ms past one it must see, for scheduling delays and for servers
// whose clock moves in steps.
// ephBase is when the suites' sessions and tokens are made: Redis keeps
// lifetimes, not instants, so any time serves.
var ephBase = time.Date(2025, 6, 7, 8, 9, 10, 123_000_000, time.UTC)

const (
	ephLong      = time.Hour
	ephShort     = 300 * time.Millisecond
	ephPastShort = 600 * time.Millisecond
)

// RunEphemeral checks every method of an ephemeral store. newStore returns
// a fresh, empty store and a function that moves its clock forward (a fake
// clock's fast-forward, or time.Sleep for a real server); it is called
// once per subtest, from parallel subtests.
func RunEphemeral(t *testing.T, newStore func(t *testing.T) (Ephemeral, func(time.Duration))) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Ephemeral, func(time.Duration))
	}{
		{"Decide", testEphDecide},
		{"SessionRoundTrip", testEphSessionRoundTrip},
		{"SessionDelete", testEphSessionDelete},
		{"SessionExpiry", testEphSessionExpiry},
		{"DeleteUserSessions", testEphDeleteUserSessions},
		{"SessionsEndedLately", testEphSessionsEndedLately},
		{"AttemptSequences", testEphAttemptSequences},
		{"AttemptLockExpires", testEphAttemptLockExpires},
		{"FailuresExpireAfterLast", testEphFailuresExpireAfterLast},
		{"Refund", testEphRefund},
		{"Reset", testEphReset},
		{"State", testEphState},
		{"ListStates", testEphListStates},
		{"Hit", testEphHit},
		{"HitWindow", testEphHitWindow},
		{"CaptchaPutGetTake", testEphCaptchaPutGetTake},
		{"CaptchaExpiry", testEphCaptchaExpiry},
		{"NewestCaptcha", testEphNewestCaptcha},
		{"AccessTokens", testEphAccessTokens},
		{"AccessTokenExpiry", testEphAccessTokenExpiry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, advance := newStore(t)
			tc.run(t, s, advance)
		})
	}
}

func ephWantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func ephNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ephSession(uid int64, login string, ttl time.Duration) store.Session {
	now := ephBase
	user := store.Identity{ID: uid, Login: login, IsSuper: uid%2 == 1, TenantID: 1}
	return store.Session{User: user, Kind: "web", CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

func ephSameSession(a, b store.Session) bool {
	return a.User == b.User && a.Kind == b.Kind &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

func testEphSessionRoundTrip(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	want := ephSession(7, "Alice", ephLong)
	want.Kind = "dev"
	ephCreate(t, s, "d-alice", want)
	got, err := s.GetSession(ctx, "d-alice")
	ephNoErr(t, "get", err)
	if !ephSameSession(got, want) {
		t.Errorf("get = %+v, want %+v", got, want)
	}
	_, err = s.GetSession(ctx, "d-unknown")
	ephWantErr(t, "get unknown", err, store.ErrNotFound)
}

func testEphSessionDelete(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	ephCreate(t, s, "d1", ephSession(7, "alice", ephLong))
	ephNoErr(t, "delete", s.DeleteSession(ctx, "d1"))
	_, err := s.GetSession(ctx, "d1")
	ephWantErr(t, "get deleted", err, store.ErrNotFound)
	ephWantErr(t, "delete again", s.DeleteSession(ctx, "d1"), store.ErrNotFound)
	ephWantErr(t, "delete unknown", s.DeleteSession(ctx, "d-unknown"), store.ErrNotFound)
	// a deleted session must not trouble the user-wide delete
	ephNoErr(t, "delete user sessions", s.DeleteUserSessions(ctx, 7, ""))
}

func testEphSessionExpiry(t *testing.T, s Ephemeral, advance func(time.Duration)) {
	ctx := context.Background()
	ephCreate(t, s, "d-short", ephSession(7, "alice", ephShort))
	ephCreate(t, s, "d-long", ephSession(7, "alice", ephLong))
	_, err := s.GetSession(ctx, "d-short")
	ephNoErr(t, "get before expiry", err)
	advance(ephPastShort)
	_, err = s.GetSession(ctx, "d-short")
	ephWantErr(t, "get after expiry", err, store.ErrNotFound)
	ephWantErr(t, "delete after expiry", s.DeleteSession(ctx, "d-short"), store.ErrNotFound)
	_, err = s.GetSession(ctx, "d-long")
	ephNoErr(t, "longer session outlives the short one", err)
}

func testEphDeleteUserSessions(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	for _, d := range []string{"a1", "a2", "a3"} {
		ephCreate(t, s, d, ephSession(7, "alice", ephLong))
	}
	ephCreate(t, s, "b1", ephSession(8, "bob", ephLong))

	ephNoErr(t, "delete all but a2", s.DeleteUserSessions(ctx, 7, "a2"))
	ephWantSessions(t, s, map[string]bool{"a1": false, "a2": true, "a3": false, "b1": true})

	ephNoErr(t, "delete all", s.DeleteUserSessions(ctx, 7, ""))
	ephWantSessions(t, s, map[string]bool{"a2": false, "b1": true})

	ephNoErr(t, "delete for user without sessions", s.DeleteUserSessions(ctx, 99, ""))
	ephCreate(t, s, "a4", ephSession(7, "alice", ephLong))
	ephWantSessions(t, s, map[string]bool{"a4": true})
}

// The mark of ended sessions tells a login whose read of the user may
// predate the change that ended them; its expiry is tested per backend, as
// it lasts store.EndedLately.
func testEphSessionsEndedLately(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	if ephCreate(t, s, "a1", ephSession(7, "alice", ephLong)) {
		t.Error("a user whose sessions never ended: reported ended")
	}
	ephNoErr(t, "delete all", s.DeleteUserSessions(context.Background(), 7, "a1"))
	if !ephCreate(t, s, "a2", ephSession(7, "alice", ephLong)) {
		t.Error("a user whose sessions just ended (keeping one): not reported")
	}
	if ephCreate(t, s, "b1", ephSession(8, "bob", ephLong)) {
		t.Error("another user: reported ended")
	}
}

// ephCreate creates a session and reports CreateSession's endedLately.
func ephCreate(t *testing.T, s Ephemeral, digest string, sess store.Session) bool {
	t.Helper()
	ended, err := s.CreateSession(context.Background(), digest, sess)
	ephNoErr(t, "create "+digest, err)
	return ended
}

func ephWantSessions(t *testing.T, s Ephemeral, alive map[string]bool) {
	t.Helper()
	for d, want := range alive {
		_, err := s.GetSession(context.Background(), d)
		switch {
		case want && err != nil:
			t.Errorf("session %s: %v, want alive", d, err)
		case !want && !errors.Is(err, store.ErrNotFound):
			t.Errorf("session %s: error %v, want ErrNotFound", d, err)
		}
	}
}

// ephPolicy is the XSwitch default: captcha after 2 failures, lock after 5.
func ephPolicy() store.AttemptPolicy {
	return store.AttemptPolicy{CaptchaAfter: 2, LockAfter: 5, LockFor: ephLong}
}

type ephStep struct {
	solved   bool
	status   store.AttemptStatus
	failures int
}

const (
	ephProceed = store.AttemptProceed
	ephCaptcha = store.AttemptCaptchaNeeded
	ephLocked  = store.AttemptLocked
)

func testEphAttemptSequences(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	noCaptcha := store.AttemptPolicy{LockAfter: 5, LockFor: ephLong}
	noLock := store.AttemptPolicy{CaptchaAfter: 2, LockFor: ephLong}
	for _, tc := range []struct {
		name   string
		policy store.AttemptPolicy
		steps  []ephStep
	}{
		{"captcha then lock", ephPolicy(), []ephStep{
			{false, ephProceed, 1}, {false, ephProceed, 2}, {false, ephCaptcha, 2},
			{true, ephProceed, 3}, {true, ephProceed, 4}, {true, ephProceed, 5},
			{true, ephLocked, 5}, {false, ephLocked, 5},
		}},
		{"solved captcha before it is needed", ephPolicy(), []ephStep{
			{true, ephProceed, 1}, {false, ephProceed, 2}, {false, ephCaptcha, 2},
		}},
		{"CaptchaAfter 0 never asks", noCaptcha, []ephStep{
			{false, ephProceed, 1}, {false, ephProceed, 2}, {false, ephProceed, 3},
			{false, ephProceed, 4}, {false, ephProceed, 5}, {false, ephLocked, 5},
		}},
		{"LockAfter 0 never locks", noLock, append(
			[]ephStep{{false, ephProceed, 1}, {false, ephProceed, 2}, {false, ephCaptcha, 2}},
			ephSolvedSteps(3, 20)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, st := range tc.steps {
				res, err := s.Attempt(context.Background(), tc.name, tc.policy, st.solved)
				ephNoErr(t, "attempt", err)
				if res.Status != st.status || res.Failures != st.failures {
					t.Fatalf("attempt %d: got status %d failures %d, want %d, %d",
						i+1, res.Status, res.Failures, st.status, st.failures)
				}
				if st.status == ephLocked {
					ephWantRetryAfter(t, res, tc.policy.LockFor)
				}
			}
		})
	}
}

func ephSolvedSteps(from, to int) []ephStep {
	var steps []ephStep
	for n := from; n <= to; n++ {
		steps = append(steps, ephStep{true, ephProceed, n})
	}
	return steps
}

func ephWantRetryAfter(t *testing.T, res store.AttemptResult, lockFor time.Duration) {
	t.Helper()
	if res.RetryAfter <= 0 || res.RetryAfter > lockFor || res.RetryAfter < lockFor-time.Minute {
		t.Errorf("RetryAfter = %v, want about %v", res.RetryAfter, lockFor)
	}
}

// ephAttempts runs the steps on key, failing the test on the first mismatch.
func ephAttempts(t *testing.T, s Ephemeral, key string, p store.AttemptPolicy, steps ...ephStep) {
	t.Helper()
	for i, st := range steps {
		res, err := s.Attempt(context.Background(), key, p, st.solved)
		ephNoErr(t, "attempt", err)
		if res.Status != st.status || res.Failures != st.failures {
			t.Fatalf("%s attempt %d: got status %d failures %d, want %d, %d",
				key, i+1, res.Status, res.Failures, st.status, st.failures)
		}
	}
}

func testEphAttemptLockExpires(t *testing.T, s Ephemeral, advance func(time.Duration)) {
	p := store.AttemptPolicy{LockAfter: 2, LockFor: ephShort}
	ephAttempts(t, s, "alice", p, ephStep{false, ephProceed, 1}, ephStep{false, ephProceed, 2})
	res, err := s.Attempt(context.Background(), "alice", p, false)
	ephNoErr(t, "attempt", err)
	if res.Status != ephLocked {
		t.Fatalf("status %d, want locked", res.Status)
	}
	ephWantRetryAfter(t, res, ephShort)
	advance(ephPastShort)
	// the failures went with the lock: counting starts again
	ephAttempts(t, s, "alice", p, ephStep{false, ephProceed, 1})
}

func testEphFailuresExpireAfterLast(t *testing.T, s Ephemeral, advance func(time.Duration)) {
	const lockFor = 400 * time.Millisecond
	p := store.AttemptPolicy{CaptchaAfter: 5, LockAfter: 10, LockFor: lockFor}
	ephAttempts(t, s, "alice", p, ephStep{false, ephProceed, 1})
	advance(300 * time.Millisecond)
	ephAttempts(t, s, "alice", p, ephStep{false, ephProceed, 2})
	advance(250 * time.Millisecond) // past the first failure's lifetime, not the second's
	ephWantState(t, s, "alice", 2, false)
	advance(300 * time.Millisecond)
	ephWantState(t, s, "alice", 0, false)
}

func ephWantState(t *testing.T, s Ephemeral, key string, failures int, isLocked bool) store.LockState {
	t.Helper()
	st, err := s.State(context.Background(), key)
	ephNoErr(t, "state", err)
	if st.Failures != failures || (st.LockedFor > 0) != isLocked {
		t.Fatalf("state of %s = %d failures, locked for %v; want %d failures, locked %v",
			key, st.Failures, st.LockedFor, failures, isLocked)
	}
	return st
}

func testEphRefund(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	ephAttempts(t, s, "alice", ephPolicy(), ephStep{true, ephProceed, 1}, ephStep{true, ephProceed, 2},
		ephStep{true, ephProceed, 3}, ephStep{true, ephProceed, 4})
	ephNoErr(t, "refund", s.Refund(ctx, "alice", ephPolicy()))
	ephWantState(t, s, "alice", 3, false)

	// the fifth failure locks; refunding it lifts the lock it caused
	ephAttempts(t, s, "alice", ephPolicy(), ephStep{true, ephProceed, 4}, ephStep{true, ephProceed, 5}, ephStep{true, ephLocked, 5})
	ephNoErr(t, "refund", s.Refund(ctx, "alice", ephPolicy()))
	ephWantState(t, s, "alice", 4, false)
	ephAttempts(t, s, "alice", ephPolicy(), ephStep{true, ephProceed, 5}, ephStep{true, ephLocked, 5})

	// refunding everything forgets the key; more refunds change nothing
	for range 6 {
		ephNoErr(t, "refund", s.Refund(ctx, "alice", ephPolicy()))
	}
	ephWantState(t, s, "alice", 0, false)
	ephNoErr(t, "refund unknown", s.Refund(ctx, "nobody", ephPolicy()))
	ephWantState(t, s, "nobody", 0, false)
	ephAttempts(t, s, "alice", ephPolicy(), ephStep{false, ephProceed, 1})
}

func testEphReset(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	p := store.AttemptPolicy{LockAfter: 1, LockFor: ephLong}
	ephAttempts(t, s, "alice", p, ephStep{false, ephProceed, 1}, ephStep{false, ephLocked, 1})
	ephNoErr(t, "reset", s.Reset(ctx, "alice"))
	ephWantState(t, s, "alice", 0, false)
	ephAttempts(t, s, "alice", ephPolicy(), ephStep{false, ephProceed, 1})
	ephNoErr(t, "reset unknown", s.Reset(ctx, "nobody"))
}

func testEphState(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ephWantState(t, s, "nobody", 0, false)
	ephAttempts(t, s, "bob", ephPolicy(), ephStep{false, ephProceed, 1})
	if st := ephWantState(t, s, "bob", 1, false); st.Key != "bob" {
		t.Errorf("state key = %q, want bob", st.Key)
	}
	p := store.AttemptPolicy{LockAfter: 1, LockFor: ephLong}
	ephAttempts(t, s, "client:42", p, ephStep{false, ephProceed, 1})
	st := ephWantState(t, s, "client:42", 1, true)
	if st.LockedFor > ephLong || st.LockedFor < ephLong-time.Minute {
		t.Errorf("locked for %v, want about %v", st.LockedFor, ephLong)
	}
	states, err := s.States(context.Background(), []string{"nobody", "client:42", "bob"})
	ephNoErr(t, "states", err)
	// a real Redis's clock runs on between the two reads: LockedFor may shrink
	if len(states) != 3 || states[0].Failures != 0 || states[1].Key != st.Key || states[1].Failures != 1 ||
		states[1].LockedFor <= 0 || states[1].LockedFor > st.LockedFor || states[2].Failures != 1 || states[2].LockedFor != 0 {
		t.Errorf("States = %+v, want nobody, client:42 and bob in order", states)
	}
}

func testEphListStates(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	lock1 := store.AttemptPolicy{LockAfter: 1, LockFor: ephLong}
	failures := map[string]int{
		"alice": 1, "addr:10.0.0.1": 2, "addr:[::1]": 1, "we{ir}d": 2,
		"x}y{": 1, "p%7Bq%": 1, "glob*?[a]\\": 1,
	}
	for key, n := range failures {
		for range n {
			_, err := s.Attempt(ctx, key, ephPolicy(), true)
			ephNoErr(t, "attempt "+key, err)
		}
	}
	ephAttempts(t, s, "client:42", lock1, ephStep{false, ephProceed, 1})
	// keys that must not show up: reset, fully refunded, and other kinds
	ephAttempts(t, s, "reset", ephPolicy(), ephStep{false, ephProceed, 1})
	ephNoErr(t, "reset", s.Reset(ctx, "reset"))
	ephAttempts(t, s, "refunded", ephPolicy(), ephStep{false, ephProceed, 1})
	ephNoErr(t, "refund", s.Refund(ctx, "refunded", ephPolicy()))
	_, err := s.Hit(ctx, "hits", ephLong)
	ephNoErr(t, "hit", err)
	ephCreate(t, s, "d1", ephSession(7, "alice", ephLong))

	states, err := s.ListStates(ctx)
	ephNoErr(t, "list", err)
	var keys []string
	for _, st := range states {
		keys = append(keys, st.Key)
		if want, ok := failures[st.Key]; ok && (st.Failures != want || st.LockedFor > 0) {
			t.Errorf("%s: %d failures, locked for %v; want %d, unlocked", st.Key, st.Failures, st.LockedFor, want)
		}
		if st.Key == "client:42" && (st.Failures != 1 || st.LockedFor == 0) {
			t.Errorf("client:42: %d failures, locked for %v; want 1, locked", st.Failures, st.LockedFor)
		}
	}
	want := []string{"client:42"}
	for key := range failures {
		want = append(want, key)
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("listed keys %q, want %q", keys, want)
	}
}

func testEphHit(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	n, err := s.Hits(ctx, "addr:10.0.0.1")
	ephNoErr(t, "hits unknown", err)
	if n != 0 {
		t.Errorf("hits of unknown key = %d, want 0", n)
	}
	for want := int64(1); want <= 3; want++ {
		n, err := s.Hit(ctx, "addr:10.0.0.1", ephLong)
		ephNoErr(t, "hit", err)
		if n != want {
			t.Fatalf("hit = %d, want %d", n, want)
		}
	}
	ephWantHits(t, s, "addr:10.0.0.1", 3)
	ephWantHits(t, s, "addr:10.0.0.2", 0)
	// a hit counter is not a failure counter
	ephWantState(t, s, "addr:10.0.0.1", 0, false)
}

func ephWantHits(t *testing.T, s Ephemeral, key string, want int64) {
	t.Helper()
	n, err := s.Hits(context.Background(), key)
	ephNoErr(t, "hits", err)
	if n != want {
		t.Fatalf("hits of %s = %d, want %d", key, n, want)
	}
}

// testHitWindow checks the window is fixed: it ends a window after the
// first hit, however recent the last one.
func testEphHitWindow(t *testing.T, s Ephemeral, advance func(time.Duration)) {
	ctx := context.Background()
	const window = 400 * time.Millisecond
	hit := func(want int64) {
		t.Helper()
		n, err := s.Hit(ctx, "k", window)
		ephNoErr(t, "hit", err)
		if n != want {
			t.Fatalf("hit = %d, want %d", n, want)
		}
	}
	hit(1)
	advance(300 * time.Millisecond)
	hit(2)
	advance(250 * time.Millisecond)
	ephWantHits(t, s, "k", 0)
	hit(1)
}

func testEphCaptchaPutGetTake(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	c := store.Captcha{Answer: "x7k2", Binding: "login:alice", Address: "192.0.2.1", Audio: true}
	ephNoErr(t, "put", s.PutCaptcha(ctx, 1, c, ephLong))
	ephWantErr(t, "put same id", s.PutCaptcha(ctx, 1, store.Captcha{Answer: "other"}, ephLong), store.ErrAlreadyExists)
	for range 2 {
		got, err := s.GetCaptcha(ctx, 1)
		ephNoErr(t, "get", err)
		if got != c {
			t.Fatalf("get = %+v, want %+v", got, c)
		}
	}
	got, err := s.TakeCaptcha(ctx, 1)
	ephNoErr(t, "take", err)
	if got != c {
		t.Fatalf("take = %+v, want %+v", got, c)
	}
	_, err = s.TakeCaptcha(ctx, 1)
	ephWantErr(t, "take again", err, store.ErrNotFound)
	_, err = s.GetCaptcha(ctx, 1)
	ephWantErr(t, "get taken", err, store.ErrNotFound)
	_, err = s.GetCaptcha(ctx, 2)
	ephWantErr(t, "get unknown", err, store.ErrNotFound)
	_, err = s.TakeCaptcha(ctx, 2)
	ephWantErr(t, "take unknown", err, store.ErrNotFound)
}

func testEphCaptchaExpiry(t *testing.T, s Ephemeral, advance func(time.Duration)) {
	ctx := context.Background()
	ephNoErr(t, "put", s.PutCaptcha(ctx, 1, store.Captcha{Answer: "a", Binding: "addr:10.0.0.1"}, ephShort))
	ephNoErr(t, "put", s.PutCaptcha(ctx, 2, store.Captcha{Answer: "b", Binding: "addr:10.0.0.2"}, ephLong))
	_, err := s.GetCaptcha(ctx, 1)
	ephNoErr(t, "get before expiry", err)
	advance(ephPastShort)
	_, err = s.GetCaptcha(ctx, 1)
	ephWantErr(t, "get expired", err, store.ErrNotFound)
	_, err = s.TakeCaptcha(ctx, 1)
	ephWantErr(t, "take expired", err, store.ErrNotFound)
	_, err = s.NewestCaptcha(ctx, "addr:10.0.0.1", "")
	ephWantErr(t, "newest expired", err, store.ErrNotFound)
	_, err = s.GetCaptcha(ctx, 2)
	ephNoErr(t, "longer captcha outlives the short one", err)
}

func testEphNewestCaptcha(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	const here, there = "192.0.2.1", "198.51.100.2"
	_, err := s.NewestCaptcha(ctx, "login:alice", here)
	ephWantErr(t, "newest of unknown binding", err, store.ErrNotFound)
	put := func(id int64, binding, address string) {
		t.Helper()
		ephNoErr(t, "put", s.PutCaptcha(ctx, id, store.Captcha{Answer: "a", Binding: binding, Address: address}, ephLong))
	}
	newest := func(binding, address string, want int64) {
		t.Helper()
		id, err := s.NewestCaptcha(ctx, binding, address)
		ephNoErr(t, "newest", err)
		if id != want {
			t.Fatalf("newest of %s from %s = %d, want %d", binding, address, id, want)
		}
	}
	put(10, "login:alice", here)
	put(11, "login:bob", here)
	put(12, "login:alice", here)
	put(13, "login:alice", there) // made elsewhere: not the newest here
	newest("login:alice", here, 12)
	newest("login:alice", there, 13)
	newest("login:bob", here, 11)
	_, err = s.NewestCaptcha(ctx, "login:bob", there)
	ephWantErr(t, "newest of a binding never made from there", err, store.ErrNotFound)
	// a failed put of a taken id changes nothing
	ephWantErr(t, "put taken id", s.PutCaptcha(ctx, 11, store.Captcha{Binding: "login:alice", Address: here}, ephLong), store.ErrAlreadyExists)
	newest("login:alice", here, 12)

	// a taken captcha is never returned as newest
	_, err = s.TakeCaptcha(ctx, 12)
	ephNoErr(t, "take", err)
	id, err := s.NewestCaptcha(ctx, "login:alice", here)
	if err == nil && id == 12 || err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Errorf("newest after take = %d, %v; want another id or ErrNotFound", id, err)
	}
}

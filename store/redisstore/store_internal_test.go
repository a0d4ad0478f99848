package redisstore

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"xtraauth/store"
)

func newTestStore(t *testing.T, prefix string) (*Store, *miniredis.Miniredis) {
	mr := miniredis.RunT(t)
	// no retries: TestRedisErrorsAreReturned stops the server
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = client.Close() })
	return New(client, prefix), mr
}

// hashTag is the part of key Redis Cluster hashes: from the first '{' to
// the first '}' after it, if that is not empty.
func hashTag(key string) string {
	_, rest, ok := strings.Cut(key, "{")
	if !ok {
		return key
	}
	tag, _, ok := strings.Cut(rest, "}")
	if !ok || tag == "" {
		return key
	}
	return tag
}

func TestCounterKeysShareSlot(t *testing.T) {
	s := New(nil, "xa:")
	for _, subject := range []string{"alice", "a}b", "{", "}", "}{", "%7D", "%", "%25", "addr:[::1]", ""} {
		fails, lock := s.counterKeys(subject)
		if hashTag(fails) != hashTag(lock) {
			t.Errorf("%q: keys %q and %q hash differently", subject, fails, lock)
		}
		for _, key := range []string{fails, lock} {
			if got, ok := s.subjectOf(key); !ok || got != subject {
				t.Errorf("subjectOf(%q) = %q, %v; want %q", key, got, ok, subject)
			}
		}
	}
	for _, key := range []string{"xa:sess:x", "xa:{a}b}:fails", "xa:{a}:other", "xb:{a}:lock"} {
		if got, ok := s.subjectOf(key); ok {
			t.Errorf("subjectOf(%q) = %q, want no subject", key, got)
		}
	}
}

// TestSessionLifetimeFromItsOwnTimes: the TTL comes from CreatedAt and
// ExpiresAt, so a caller's fake clock far from the real one still works.
func TestSessionLifetimeFromItsOwnTimes(t *testing.T) {
	s, mr := newTestStore(t, "xa:")
	ctx := context.Background()
	created := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	sess := store.Session{User: store.Identity{ID: 1, Login: "alice"}, CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	if _, err := s.CreateSession(ctx, "d1", sess); err != nil {
		t.Fatal(err)
	}
	if ttl := mr.TTL("xa:sess:d1"); ttl != time.Hour {
		t.Errorf("TTL %v, want 1h", ttl)
	}
	if ttl := mr.TTL("xa:usess:1"); ttl != MaxLifetime+pruneGrace {
		t.Errorf("index TTL %v, want it to outlive any session", ttl)
	}
	sess.ExpiresAt = created.Add(MaxLifetime + time.Second)
	if _, err := s.CreateSession(ctx, "d3", sess); err == nil {
		t.Error("a session longer than MaxLifetime was accepted")
	}
	sess.ExpiresAt = created
	if _, err := s.CreateSession(ctx, "d2", sess); err == nil {
		t.Error("session that expires when created was accepted")
	}
}

// TestEndedMarkLastsEndedLately: a login that made a session more than
// store.EndedLately after the user's sessions ended is not told to re-read.
func TestEndedMarkLastsEndedLately(t *testing.T) {
	s, mr := newTestStore(t, "xa:")
	ctx := context.Background()
	sess := store.Session{User: store.Identity{ID: 1, Login: "alice"}, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.DeleteUserSessions(ctx, 1, ""); err != nil {
		t.Fatal(err)
	}
	mr.FastForward(store.EndedLately - time.Second)
	if ended, err := s.CreateSession(ctx, "d1", sess); err != nil || !ended {
		t.Fatalf("just inside EndedLately: ended %v, %v", ended, err)
	}
	mr.FastForward(time.Second)
	if ended, err := s.CreateSession(ctx, "d2", sess); err != nil || ended {
		t.Fatalf("after EndedLately: ended %v, %v", ended, err)
	}
}

// TestUserIndexIsPruned: digests long expired leave the user's index when
// a new session is created, at most every pruneGrace, so it does not grow
// forever and a busy user does not pay a range removal on every login.
func TestUserIndexIsPruned(t *testing.T) {
	s, mr := newTestStore(t, "xa:")
	ctx := context.Background()
	start := time.Now()
	index := func(want string) {
		t.Helper()
		members, err := mr.ZMembers("xa:usess:1")
		if err != nil {
			t.Fatal(err)
		}
		members = slices.DeleteFunc(members, func(m string) bool { return m == prunedMember })
		if got := strings.Join(members, ","); got != want {
			t.Errorf("index %v, want %s", got, want)
		}
	}
	create := func(digest string, minutes int) {
		t.Helper()
		created := start.Add(time.Duration(minutes) * time.Minute)
		sess := store.Session{User: store.Identity{ID: 1}, CreatedAt: created, ExpiresAt: created.Add(time.Minute)}
		if _, err := s.CreateSession(ctx, digest, sess); err != nil {
			t.Fatal(err)
		}
	}
	create("old", 0) // pruned at 0
	create("recent", 8)
	create("new", 16) // pruned at 16: "old" expired 15 minutes before, "recent" only 7
	index("recent,new")
	create("newer", 20) // "recent" expired 11 minutes before, but the last prune was at 16
	index("recent,new,newer")
	create("newest", 26) // pruned at 26: "recent" goes, "new" expired only 9 minutes before
	index("new,newer,newest")
}

// TestListStatesGlobPrefix: a prefix with glob characters matches only
// itself when scanning.
func TestListStatesGlobPrefix(t *testing.T) {
	a, mr := newTestStore(t, `p*?[x]\:`)
	b := New(redis.NewClient(&redis.Options{Addr: mr.Addr()}), `pz?x\\:`)
	ctx := context.Background()
	p := store.AttemptPolicy{CaptchaAfter: 2, LockAfter: 5, LockFor: time.Hour}
	for _, s := range []*Store{a, b} {
		if _, err := s.Attempt(ctx, "alice", p, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Attempt(ctx, "bob", p, false); err != nil {
		t.Fatal(err)
	}
	states, err := a.ListStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].Key != "alice" {
		t.Errorf("ListStates = %+v, want only alice", states)
	}
}

func TestRejectsNonPositiveDurations(t *testing.T) {
	s, _ := newTestStore(t, "xa:")
	ctx := context.Background()
	if _, err := s.Attempt(ctx, "alice", store.AttemptPolicy{CaptchaAfter: 2}, false); err == nil {
		t.Error("Attempt with zero LockFor succeeded")
	}
	if _, err := s.Hit(ctx, "k", 0); err == nil {
		t.Error("Hit with zero window succeeded")
	}
	if err := s.PutCaptcha(ctx, 1, store.Captcha{}, 0); err == nil {
		t.Error("PutCaptcha with zero ttl succeeded")
	}
}

// TestRedisErrorsAreReturned: with Redis gone every method fails, and none
// reports a plain "not found" that a caller could mistake for "allowed".
func TestRedisErrorsAreReturned(t *testing.T) {
	s, mr := newTestStore(t, "xa:")
	mr.Close()
	ctx := context.Background()
	p := store.AttemptPolicy{CaptchaAfter: 2, LockAfter: 5, LockFor: time.Hour}
	_, errAttempt := s.Attempt(ctx, "alice", p, false)
	_, errState := s.State(ctx, "alice")
	_, errList := s.ListStates(ctx)
	_, errHits := s.Hits(ctx, "k")
	_, errGet := s.GetSession(ctx, "d")
	_, errTake := s.TakeCaptcha(ctx, 1)
	_, errCreate := s.CreateSession(ctx, "d", store.Session{ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()})
	for name, err := range map[string]error{
		"Attempt": errAttempt, "State": errState, "ListStates": errList, "Hits": errHits,
		"GetSession": errGet, "TakeCaptcha": errTake,
		"CreateSession": errCreate,
	} {
		if err == nil || err == store.ErrNotFound {
			t.Errorf("%s with Redis down: error %v", name, err)
		}
	}
}

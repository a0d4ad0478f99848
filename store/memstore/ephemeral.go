package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"xtraauth/store"
)

// expiring is a value that ends at until, as a Redis key with a TTL.
type expiring[T any] struct {
	v     T
	until time.Time
}

// live returns m[k] unless it has ended by now, in which case it is
// dropped; s.mu must be held.
func live[K comparable, T any](m map[K]expiring[T], k K, now time.Time) (T, bool) {
	e, ok := m[k]
	if ok && !now.Before(e.until) {
		delete(m, k)
		ok = false
	}
	if !ok {
		var zero T
		return zero, false
	}
	return e.v, true
}

// positive refuses a lifetime Redis would refuse or take as "expire now".
func positive(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("memstore: %s must be positive, got %v", what, d)
	}
	return nil
}

// CreateSession implements store.Sessions: the session lives for
// ExpiresAt - CreatedAt from the clock's now, as in Redis.
func (s *Store) CreateSession(_ context.Context, digest string, sess store.Session) (bool, error) {
	ttl := sess.ExpiresAt.Sub(sess.CreatedAt)
	if err := positive("session lifetime", ttl); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sessions[digest] = expiring[store.Session]{sess, now.Add(ttl)}
	_, ended := live(s.ended, sess.User.ID, now)
	return ended, nil
}

// GetSession implements store.Sessions.
func (s *Store) GetSession(_ context.Context, digest string) (store.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := live(s.sessions, digest, s.now())
	if !ok {
		return store.Session{}, notFound("session")
	}
	return sess, nil
}

// DeleteSession implements store.Sessions.
func (s *Store) DeleteSession(_ context.Context, digest string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := live(s.sessions, digest, s.now()); !ok {
		return notFound("delete session")
	}
	delete(s.sessions, digest)
	return nil
}

// DeleteUserSessions implements store.Sessions: the user is marked for
// CreateSession to report for store.EndedLately.
func (s *Store) DeleteUserSessions(_ context.Context, userID int64, keep string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended[userID] = expiring[struct{}]{struct{}{}, s.now().Add(store.EndedLately)}
	for digest, e := range s.sessions {
		if e.v.User.ID == userID && digest != keep {
			delete(s.sessions, digest)
		}
	}
	return nil
}

// CreateAccessToken implements store.AccessTokens: the token lives for
// ExpiresAt - CreatedAt from the clock's now, as in Redis.
func (s *Store) CreateAccessToken(_ context.Context, digest string, t store.AccessToken) error {
	ttl := t.ExpiresAt.Sub(t.CreatedAt)
	if err := positive("access token lifetime", ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[digest] = expiring[store.AccessToken]{t, s.now().Add(ttl)}
	return nil
}

// GetAccessToken implements store.AccessTokens.
func (s *Store) GetAccessToken(_ context.Context, digest string) (store.AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := live(s.tokens, digest, s.now())
	if !ok {
		return store.AccessToken{}, notFound("access token")
	}
	return t, nil
}

// DeleteAccessToken implements store.AccessTokens.
func (s *Store) DeleteAccessToken(_ context.Context, digest string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := live(s.tokens, digest, s.now()); !ok {
		return notFound("delete access token")
	}
	delete(s.tokens, digest)
	return nil
}

// DeleteClientAccessTokens implements store.AccessTokens.
func (s *Store) DeleteClientAccessTokens(_ context.Context, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for digest, e := range s.tokens {
		if e.v.ClientID == clientID {
			delete(s.tokens, digest)
		}
	}
	return nil
}

// newestKey names the newest captcha made for a binding from an address.
type newestKey struct{ binding, address string }

// PutCaptcha implements store.Captchas.
func (s *Store) PutCaptcha(_ context.Context, id int64, c store.Captcha, ttl time.Duration) error {
	if err := positive("captcha ttl", ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if _, ok := live(s.captchas, id, now); ok {
		return alreadyExists("captcha %d", id)
	}
	s.captchas[id] = expiring[store.Captcha]{c, now.Add(ttl)}
	s.newest[newestKey{c.Binding, c.Address}] = expiring[int64]{id, now.Add(ttl)}
	return nil
}

// GetCaptcha implements store.Captchas.
func (s *Store) GetCaptcha(_ context.Context, id int64) (store.Captcha, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := live(s.captchas, id, s.now())
	if !ok {
		return store.Captcha{}, notFound("captcha %d", id)
	}
	return c, nil
}

// TakeCaptcha implements store.Captchas.
func (s *Store) TakeCaptcha(_ context.Context, id int64) (store.Captcha, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := live(s.captchas, id, s.now())
	if !ok {
		return store.Captcha{}, notFound("take captcha %d", id)
	}
	delete(s.captchas, id)
	return c, nil
}

// NewestCaptcha implements store.Captchas.
func (s *Store) NewestCaptcha(_ context.Context, binding, address string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	id, ok := live(s.newest, newestKey{binding, address}, now)
	if !ok {
		return 0, notFound("newest captcha")
	}
	if c, ok := live(s.captchas, id, now); !ok || c.Binding != binding || c.Address != address {
		return 0, notFound("newest captcha")
	}
	return id, nil
}

// Attempt implements store.Counters by store.Decide, as the Lua script of
// store/redisstore applies it: a failure it counts makes the key's
// failures end LockFor from now, and the failure that takes the lock
// locks the key for LockFor.
func (s *Store) Attempt(_ context.Context, key string, p store.AttemptPolicy, captchaSolved bool) (store.AttemptResult, error) {
	if err := positive("AttemptPolicy.LockFor", p.LockFor); err != nil {
		return store.AttemptResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st := s.state(key, now)
	res := store.Decide(st.Failures, st.LockedFor, p, captchaSolved)
	if res.Status == store.AttemptProceed {
		s.failures[key] = expiring[int]{res.Failures, now.Add(p.LockFor)}
		if res.TookLock {
			s.locks[key] = now.Add(p.LockFor)
		}
	}
	return res, nil
}

// Refund implements store.Counters: one failure fewer (the last one takes
// the key's failures with it), and no lock once the count is below the
// policy's LockAfter.
func (s *Store) Refund(_ context.Context, key string, p store.AttemptPolicy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if e, ok := s.failures[key]; ok && s.now().Before(e.until) && e.v > 1 {
		n = e.v - 1
		s.failures[key] = expiring[int]{n, e.until}
	} else {
		delete(s.failures, key)
	}
	if p.LockAfter > 0 && n < p.LockAfter {
		delete(s.locks, key)
	}
	return nil
}

// Reset implements store.Counters.
func (s *Store) Reset(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, key)
	delete(s.locks, key)
	return nil
}

// state is key's failures and lock at now; s.mu must be held.
func (s *Store) state(key string, now time.Time) store.LockState {
	st := store.LockState{Key: key}
	st.Failures, _ = live(s.failures, key, now)
	if until, ok := s.locks[key]; ok {
		if now.Before(until) {
			st.LockedFor = until.Sub(now)
		} else {
			delete(s.locks, key)
		}
	}
	return st
}

// State implements store.Counters.
func (s *Store) State(_ context.Context, key string) (store.LockState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state(key, s.now()), nil
}

// States implements store.Counters.
func (s *Store) States(_ context.Context, keys []string) ([]store.LockState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	states := make([]store.LockState, len(keys))
	for i, key := range keys {
		states[i] = s.state(key, now)
	}
	return states, nil
}

// ListStates implements store.Counters, by key.
func (s *Store) ListStates(context.Context) ([]store.LockState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var keys []string
	for key := range s.failures {
		keys = append(keys, key)
	}
	for key := range s.locks {
		if _, ok := s.failures[key]; !ok {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	states := []store.LockState{}
	for _, key := range keys {
		if st := s.state(key, now); st.Failures > 0 || st.LockedFor > 0 {
			states = append(states, st)
		}
	}
	return states, nil
}

// Hit implements store.Counters.
func (s *Store) Hit(_ context.Context, key string, window time.Duration) (int64, error) {
	if err := positive("window", window); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n, ok := live(s.hits, key, now)
	until := now.Add(window)
	if ok {
		until = s.hits[key].until
	}
	s.hits[key] = expiring[int64]{n + 1, until}
	return n + 1, nil
}

// Hits implements store.Counters.
func (s *Store) Hits(_ context.Context, key string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := live(s.hits, key, s.now())
	return n, nil
}

package redisstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"xtraauth/store"
)

// attemptScript is store.Decide applied atomically, so that concurrent
// attempts in any number of processes cannot all slip under a threshold.
// KEYS: fails, lock. ARGV: captchaAfter, lockAfter, lockFor (ms),
// captchaSolved (0/1). Returns {status, failures, retry ms, took lock 0/1}.
var attemptScript = redis.NewScript(`
local captchaAfter, lockAfter = tonumber(ARGV[1]), tonumber(ARGV[2])
local lockFor, solved = tonumber(ARGV[3]), ARGV[4] == '1'
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local pttl = redis.call('PTTL', KEYS[2])
if pttl == -1 then
	-- a lock without expiry (not made by us) would lock forever; bound it
	redis.call('PEXPIRE', KEYS[2], lockFor)
	pttl = lockFor
end
if pttl > 0 then
	return {2, n, pttl, 0}
end
if captchaAfter > 0 and n >= captchaAfter and not solved then
	return {1, n, 0, 0}
end
n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], lockFor)
if lockAfter > 0 and n >= lockAfter then
	redis.call('SET', KEYS[2], '1', 'PX', lockFor)
	return {0, n, 0, 1}
end
return {0, n, 0, 0}
`)

// refundScript takes back one failure and lifts the lock if the count is
// now below the policy's threshold. KEYS: fails, lock. ARGV: lockAfter.
var refundScript = redis.NewScript(`
local lockAfter = tonumber(ARGV[1])
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 1 then
	n = redis.call('DECR', KEYS[1])
else
	n = 0
	redis.call('DEL', KEYS[1])
end
if lockAfter > 0 and n < lockAfter then
	redis.call('DEL', KEYS[2])
end
return n
`)

func (s *Store) Attempt(ctx context.Context, key string, p store.AttemptPolicy, captchaSolved bool) (store.AttemptResult, error) {
	if err := checkTTL("AttemptPolicy.LockFor", p.LockFor); err != nil {
		return store.AttemptResult{}, err
	}
	solved := 0
	if captchaSolved {
		solved = 1
	}
	fails, lock := s.counterKeys(key)
	args := []any{p.CaptchaAfter, p.LockAfter, millis(p.LockFor), solved}
	r, err := attemptScript.Run(ctx, s.rdb, []string{fails, lock}, args...).Int64Slice()
	if err != nil {
		return store.AttemptResult{}, fail("attempt", err)
	}
	if len(r) != 4 {
		return store.AttemptResult{}, fail("attempt", errors.New("unexpected script reply"))
	}
	return store.AttemptResult{
		Status:     store.AttemptStatus(r[0]),
		Failures:   int(r[1]),
		RetryAfter: time.Duration(r[2]) * time.Millisecond,
		TookLock:   r[3] == 1,
	}, nil
}

func (s *Store) Refund(ctx context.Context, key string, p store.AttemptPolicy) error {
	fails, lock := s.counterKeys(key)
	if err := refundScript.Run(ctx, s.rdb, []string{fails, lock}, p.LockAfter).Err(); err != nil {
		return fail("refund", err)
	}
	return nil
}

// Reset deletes both keys in one command; they share a slot.
func (s *Store) Reset(ctx context.Context, key string) error {
	fails, lock := s.counterKeys(key)
	if err := s.rdb.Del(ctx, fails, lock).Err(); err != nil {
		return fail("reset", err)
	}
	return nil
}

func (s *Store) State(ctx context.Context, key string) (store.LockState, error) {
	states, err := s.States(ctx, []string{key})
	if err != nil {
		return store.LockState{}, err
	}
	return states[0], nil
}

// ListStates scans for counter keys (on every master in a cluster) and
// reports each subject that still has failures or a lock, sorted by key.
func (s *Store) ListStates(ctx context.Context) ([]store.LockState, error) {
	subjects, err := s.scanSubjects(ctx)
	if err != nil {
		return nil, err
	}
	slices.Sort(subjects)
	states, err := s.States(ctx, subjects)
	if err != nil {
		return nil, err
	}
	// keys may have expired between the scan and the read
	return slices.DeleteFunc(states, func(st store.LockState) bool {
		return st.Failures == 0 && st.LockedFor == 0
	}), nil
}

// States reads the subjects' keys in one pipelined round trip. It is not
// atomic across a subject's two keys: a lock taken between the two reads
// may show without its last failure, which no caller minds.
func (s *Store) States(ctx context.Context, subjects []string) ([]store.LockState, error) {
	pipe := s.rdb.Pipeline()
	gets := make([]*redis.StringCmd, len(subjects))
	pttls := make([]*redis.DurationCmd, len(subjects))
	for i, subj := range subjects {
		fails, lock := s.counterKeys(subj)
		gets[i], pttls[i] = pipe.Get(ctx, fails), pipe.PTTL(ctx, lock)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fail("read counters", err)
	}
	states := make([]store.LockState, len(subjects))
	for i, subj := range subjects {
		st, err := lockState(subj, gets[i], pttls[i])
		if err != nil {
			return nil, err
		}
		states[i] = st
	}
	return states, nil
}

func lockState(subject string, get *redis.StringCmd, pttl *redis.DurationCmd) (store.LockState, error) {
	st := store.LockState{Key: subject}
	n, err := get.Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return st, fail("read failures", err)
	}
	st.Failures = n
	// PTTL: -2 absent, -1 no expiry (a lock Attempt will bound), else
	// remaining; a lock about to expire still counts as locked.
	switch d := pttl.Val(); {
	case d == -1:
		st.LockedFor = time.Millisecond
	case d >= 0:
		st.LockedFor = max(d, time.Millisecond)
	}
	return st, nil
}

func (s *Store) scanSubjects(ctx context.Context) ([]string, error) {
	pattern := globEscaper.Replace(s.prefix) + "{*}:*"
	var mu sync.Mutex
	seen := map[string]bool{}
	add := func(key string) {
		if subj, ok := s.subjectOf(key); ok {
			mu.Lock()
			seen[subj] = true
			mu.Unlock()
		}
	}
	// SCAN only sees the node it runs on
	err := EachMaster(ctx, s.rdb, func(ctx context.Context, node *redis.Client) error {
		return scanKeys(ctx, node, pattern, add)
	})
	if err != nil {
		return nil, fail("scan counters", err)
	}
	subjects := make([]string, 0, len(seen))
	for subj := range seen {
		subjects = append(subjects, subj)
	}
	return subjects, nil
}

func scanKeys(ctx context.Context, c redis.Cmdable, pattern string, add func(string)) error {
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		add(iter.Val())
	}
	return iter.Err()
}

// Hit counts in a fixed window that starts at the first hit: the key is
// made with the window's TTL if absent, then incremented, in one
// transaction (no script: scripts are slow in the embedded server).
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := checkTTL("window", window); err != nil {
		return 0, err
	}
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, s.hitsKey(key), 0, window)
		n = p.Incr(ctx, s.hitsKey(key))
		return nil
	})
	if err != nil {
		return 0, fail("hit", err)
	}
	return n.Val(), nil
}

func (s *Store) Hits(ctx context.Context, key string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.hitsKey(key)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fail("hits", err)
	}
	return n, nil
}

package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"xtraauth/store"
)

// pruneGrace is how long past its expiry a digest stays in an index.
// Pruning compares expiry times written by different processes, so the
// grace absorbs clock skew between them: a live session must never drop out
// of the index, or DeleteUserSessions would miss it.
const pruneGrace = 10 * time.Minute

// MaxLifetime is the longest a session or access token may live. Every
// index lives this long (plus pruneGrace) after its newest item is added,
// so it outlives every member whatever their lifetimes, without the
// compare-and-extend of a script: scripts are slow in the embedded server,
// which builds a Lua interpreter for each one.
const MaxLifetime = 31 * 24 * time.Hour

// prunedMember is a member of every index whose score is when expired
// digests were last pruned from it. Digests are hex, so it is never one.
const prunedMember = "~pruned"

// CreateSession stores sess for sess.ExpiresAt - sess.CreatedAt. The TTL is
// taken from the session's own two times rather than from time.Now, so a
// caller with its own (possibly fake) clock gets exactly the lifetime it
// asked for; callers set CreatedAt to their "now".
func (s *Store) CreateSession(ctx context.Context, digest string, sess store.Session) error {
	return s.putIndexed(ctx, "session", s.userKey(sess.User.ID), s.sessionKey(digest), digest, sess, sess.CreatedAt, sess.ExpiresAt)
}

// putIndexed stores value as JSON under key for expires - created, and
// adds member to the index (a user's sessions, a client's tokens), scored
// by its expiry in Unix ms, so that they can all be ended at once.
func (s *Store) putIndexed(ctx context.Context, what, index, key, member string, value any, created, expires time.Time) error {
	ttl := expires.Sub(created)
	if err := checkTTL(what+" lifetime", ttl); err != nil {
		return err
	}
	if ttl > MaxLifetime {
		return fmt.Errorf("redisstore: %s lifetime %v is longer than %v", what, ttl, MaxLifetime)
	}
	data, err := json.Marshal(value)
	if err != nil {
		return fail("encode "+what, err)
	}
	// Index first: if we die between the two steps, the index holds a
	// harmless dangling member instead of missing a live one.
	if err := s.index(ctx, index, member, expires, created); err != nil {
		return fail("index "+what, err)
	}
	if err := s.rdb.Set(ctx, key, data, ttl).Err(); err != nil {
		return fail("create "+what, err)
	}
	return nil
}

// index adds member to the index in one transaction. At most every
// pruneGrace it also removes members expired over pruneGrace ago, so a
// user who logs in often does not grow the set forever: a range removal is
// cheap in Redis but sorts the whole set in the embedded server, so it must
// not run on every login of a job with thousands of live sessions.
func (s *Store) index(ctx context.Context, index, member string, expires, now time.Time) error {
	var pruned *redis.FloatCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, index, redis.Z{Score: float64(expires.UnixMilli()), Member: member})
		p.PExpire(ctx, index, MaxLifetime+pruneGrace)
		pruned = p.ZScore(ctx, index, prunedMember)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	if last := int64(pruned.Val()); now.UnixMilli()-last < pruneGrace.Milliseconds() {
		return nil
	}
	cutoff := strconv.FormatInt(now.Add(-pruneGrace).UnixMilli(), 10)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, index, "-inf", cutoff)
		p.ZAdd(ctx, index, redis.Z{Score: float64(now.UnixMilli()), Member: prunedMember})
		return nil
	})
	return err
}

// GetSession relies on Redis expiry alone, so it agrees with every other
// process about which sessions are alive.
func (s *Store) GetSession(ctx context.Context, digest string) (store.Session, error) {
	data, err := s.rdb.Get(ctx, s.sessionKey(digest)).Bytes()
	if err != nil {
		return store.Session{}, notFound("get session", err)
	}
	return decodeSession(data)
}

func decodeSession(data []byte) (store.Session, error) {
	var sess store.Session
	if err := json.Unmarshal(data, &sess); err != nil {
		return store.Session{}, fail("decode session", err)
	}
	return sess, nil
}

func (s *Store) DeleteSession(ctx context.Context, digest string) error {
	data, err := s.rdb.GetDel(ctx, s.sessionKey(digest)).Bytes()
	if err != nil {
		return notFound("delete session", err)
	}
	sess, err := decodeSession(data)
	if err != nil {
		return nil // deleted; an unreadable body only leaves a stale index entry
	}
	if err := s.rdb.ZRem(ctx, s.userKey(sess.User.ID), digest).Err(); err != nil {
		return fail("unindex session", err)
	}
	return nil
}

// DeleteUserSessions deletes the sessions one key at a time (pipelined):
// in a cluster they live in different slots, so no single script may touch
// them all. Only digests whose key was really deleted leave the index; one
// whose key was missing may belong to a session being created right now,
// which must stay findable. Pruning removes it later.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep string) error {
	userKey := s.userKey(userID)
	digests, err := s.rdb.ZRange(ctx, userKey, 0, -1).Result()
	if err != nil {
		return fail("list user sessions", err)
	}
	deleted, err := s.deleteSessions(ctx, digests, keep)
	if err != nil {
		return err
	}
	if len(deleted) == 0 {
		return nil
	}
	if err := s.rdb.ZRem(ctx, userKey, deleted...).Err(); err != nil {
		return fail("unindex user sessions", err)
	}
	return nil
}

// deleteSessions deletes every digest but keep and returns those deleted.
func (s *Store) deleteSessions(ctx context.Context, digests []string, keep string) ([]any, error) {
	pipe := s.rdb.Pipeline()
	dels := make(map[string]*redis.IntCmd, len(digests))
	for _, d := range digests {
		if d != keep && d != prunedMember {
			dels[d] = pipe.Del(ctx, s.sessionKey(d))
		}
	}
	if len(dels) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fail("delete user sessions", err)
	}
	var deleted []any
	for d, cmd := range dels {
		if cmd.Val() == 1 {
			deleted = append(deleted, d)
		}
	}
	return deleted, nil
}

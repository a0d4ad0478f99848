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
// grace absorbs clock skew between them: a live item must never drop out of
// its index, or deleting its owner's items would miss it.
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

// indexed is a kind of item kept under its digest with a TTL and listed in
// its owner's index (a sorted set scored by expiry), so that all of an
// owner's items can end at once: sessions by user, access tokens by client.
type indexed[T any] struct {
	s           *Store
	what        string // for errors
	itemPrefix  string
	indexPrefix string
	owner       func(T) string
}

func (x indexed[T]) itemKey(digest string) string { return x.s.prefix + x.itemPrefix + digest }
func (x indexed[T]) indexKey(owner string) string { return x.s.prefix + x.indexPrefix + owner }

// put stores v for expires - created. The TTL comes from the item's own two
// times rather than from time.Now, so a caller with its own clock gets
// exactly the lifetime it asked for; callers set created to their "now".
// then, if set, adds commands that run after the item is stored; it is
// given the pipeline on a single Redis, which runs a connection's commands
// in order, and a fresh one once the first is done on a cluster, whose
// nodes do not.
func (x indexed[T]) put(ctx context.Context, digest string, v T, created, expires time.Time, then func(redis.Pipeliner)) error {
	ttl := expires.Sub(created)
	if err := checkTTL(x.what+" lifetime", ttl); err != nil {
		return err
	}
	if ttl > MaxLifetime {
		return fmt.Errorf("redisstore: %s lifetime %v is longer than %v", x.what, ttl, MaxLifetime)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fail("encode "+x.what, err)
	}
	// One round trip: index, then item. Should the item be written and the
	// index not, the caller fails and the client never learns the token, so
	// nobody can use the item that a deletion of its owner's would miss.
	index := x.indexKey(x.owner(v))
	pipe := x.s.rdb.Pipeline()
	pipe.ZAdd(ctx, index, redis.Z{Score: float64(expires.UnixMilli()), Member: digest})
	pipe.PExpire(ctx, index, MaxLifetime+pruneGrace)
	pruned := pipe.ZScore(ctx, index, prunedMember)
	pipe.Set(ctx, x.itemKey(digest), data, ttl)
	_, cluster := x.s.rdb.(*redis.ClusterClient)
	if then != nil && !cluster {
		then(pipe)
	}
	if err := execAll(ctx, pipe); err != nil {
		return fail("create "+x.what, err)
	}
	if then != nil && cluster {
		pipe = x.s.rdb.Pipeline()
		then(pipe)
		if err := execAll(ctx, pipe); err != nil {
			return fail("create "+x.what, err)
		}
	}
	return x.prune(ctx, index, int64(pruned.Val()), created)
}

// execAll runs a pipeline and fails if any of its commands failed; a
// missing key (redis.Nil) is no failure.
func execAll(ctx context.Context, pipe redis.Pipeliner) error {
	cmds, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

// prune removes, at most every pruneGrace, the members of an index expired
// over pruneGrace ago (last is when it last ran), so an owner who logs in
// often does not grow the set forever: a range removal is cheap in Redis
// but sorts the whole set in the embedded server, so it must not run on
// every login of a job with thousands of live sessions.
func (x indexed[T]) prune(ctx context.Context, index string, last int64, now time.Time) error {
	if now.UnixMilli()-last < pruneGrace.Milliseconds() {
		return nil
	}
	cutoff := strconv.FormatInt(now.Add(-pruneGrace).UnixMilli(), 10)
	_, err := x.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, index, "-inf", cutoff)
		p.ZAdd(ctx, index, redis.Z{Score: float64(now.UnixMilli()), Member: prunedMember})
		return nil
	})
	if err != nil {
		return fail("prune "+x.what+"s", err)
	}
	return nil
}

// get relies on Redis expiry alone, so it agrees with every other process
// about which items are alive.
func (x indexed[T]) get(ctx context.Context, digest string) (T, error) {
	var v T
	data, err := x.s.rdb.Get(ctx, x.itemKey(digest)).Bytes()
	if err != nil {
		return v, notFound("get "+x.what, err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fail("decode "+x.what, err)
	}
	return v, nil
}

// delete ends one item and takes it out of its owner's index;
// store.ErrNotFound if nothing was deleted.
func (x indexed[T]) delete(ctx context.Context, digest string) error {
	data, err := x.s.rdb.GetDel(ctx, x.itemKey(digest)).Bytes()
	if err != nil {
		return notFound("delete "+x.what, err)
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil // deleted; an unreadable body only leaves a stale index entry
	}
	if err := x.s.rdb.ZRem(ctx, x.indexKey(x.owner(v)), digest).Err(); err != nil {
		return fail("unindex "+x.what, err)
	}
	return nil
}

// deleteOwned ends every item of an owner but keep (a digest, or ""), one
// key at a time (pipelined): in a cluster they live in different slots, so
// no single script may touch them all. Only digests whose item was really
// deleted leave the index; one whose item was missing may belong to an item
// being created right now, which must stay findable. Pruning removes it
// later.
func (x indexed[T]) deleteOwned(ctx context.Context, owner, keep string) error {
	index := x.indexKey(owner)
	digests, err := x.s.rdb.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return fail("list "+x.what+"s", err)
	}
	pipe := x.s.rdb.Pipeline()
	dels := make(map[string]*redis.IntCmd, len(digests))
	for _, d := range digests {
		if d != keep && d != prunedMember {
			dels[d] = pipe.Del(ctx, x.itemKey(d))
		}
	}
	if len(dels) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fail("delete "+x.what+"s", err)
	}
	var deleted []any
	for d, cmd := range dels {
		if cmd.Val() == 1 {
			deleted = append(deleted, d)
		}
	}
	if len(deleted) == 0 {
		return nil
	}
	if err := x.s.rdb.ZRem(ctx, index, deleted...).Err(); err != nil {
		return fail("unindex "+x.what+"s", err)
	}
	return nil
}

func (s *Store) sessions() indexed[store.Session] {
	return indexed[store.Session]{s: s, what: "session", itemPrefix: "sess:", indexPrefix: "usess:",
		owner: func(v store.Session) string { return strconv.FormatInt(v.User.ID, 10) }}
}

func (s *Store) accessTokens() indexed[store.AccessToken] {
	return indexed[store.AccessToken]{s: s, what: "access token", itemPrefix: "oat:", indexPrefix: "coat:",
		owner: func(v store.AccessToken) string { return v.ClientID }}
}

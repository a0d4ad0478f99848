package redisstore

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"

	"xtraauth/store"
)

// CreateSession stores sess for sess.ExpiresAt - sess.CreatedAt, indexed
// under its user, then reads the user's ended mark.
func (s *Store) CreateSession(ctx context.Context, digest string, sess store.Session) (bool, error) {
	var ended *redis.IntCmd
	err := s.sessions().put(ctx, digest, sess, sess.CreatedAt, sess.ExpiresAt, func(p redis.Pipeliner) {
		ended = p.Exists(ctx, s.endedKey(sess.User.ID))
	})
	return err == nil && ended.Val() > 0, err
}

func (s *Store) GetSession(ctx context.Context, digest string) (store.Session, error) {
	return s.sessions().get(ctx, digest)
}

func (s *Store) DeleteSession(ctx context.Context, digest string) error {
	return s.sessions().delete(ctx, digest)
}

// DeleteUserSessions marks the user's sessions ended for
// store.EndedLately, then ends them.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep string) error {
	if err := s.rdb.Set(ctx, s.endedKey(userID), 1, store.EndedLately).Err(); err != nil {
		return fail("mark sessions ended", err)
	}
	return s.sessions().deleteOwned(ctx, strconv.FormatInt(userID, 10), keep)
}

func (s *Store) endedKey(userID int64) string {
	return s.prefix + "usess-ended:" + strconv.FormatInt(userID, 10)
}

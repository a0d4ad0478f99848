package redisstore

import (
	"context"
	"strconv"

	"xtraauth/store"
)

// CreateSession stores sess for sess.ExpiresAt - sess.CreatedAt, indexed
// under its user.
func (s *Store) CreateSession(ctx context.Context, digest string, sess store.Session) error {
	return s.sessions().put(ctx, digest, sess, sess.CreatedAt, sess.ExpiresAt)
}

func (s *Store) GetSession(ctx context.Context, digest string) (store.Session, error) {
	return s.sessions().get(ctx, digest)
}

func (s *Store) DeleteSession(ctx context.Context, digest string) error {
	return s.sessions().delete(ctx, digest)
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep string) error {
	return s.sessions().deleteOwned(ctx, strconv.FormatInt(userID, 10), keep)
}

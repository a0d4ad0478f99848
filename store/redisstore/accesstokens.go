package redisstore

import (
	"context"

	"xtraauth/store"
)

var _ store.AccessTokens = (*Store)(nil)

// CreateAccessToken stores t for t.ExpiresAt - t.CreatedAt, indexed under
// its client.
func (s *Store) CreateAccessToken(ctx context.Context, digest string, t store.AccessToken) error {
	return s.accessTokens().put(ctx, digest, t, t.CreatedAt, t.ExpiresAt, nil)
}

func (s *Store) GetAccessToken(ctx context.Context, digest string) (store.AccessToken, error) {
	return s.accessTokens().get(ctx, digest)
}

func (s *Store) DeleteAccessToken(ctx context.Context, digest string) error {
	return s.accessTokens().delete(ctx, digest)
}

func (s *Store) DeleteClientAccessTokens(ctx context.Context, clientID string) error {
	return s.accessTokens().deleteOwned(ctx, clientID, "")
}

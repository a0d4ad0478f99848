package redisstore

import (
	"context"
	"encoding/json"

	"xtraauth/store"
)

var _ store.AccessTokens = (*Store)(nil)

func (s *Store) accessTokenKey(digest string) string { return s.prefix + "oat:" + digest }
func (s *Store) clientKey(clientID string) string    { return s.prefix + "coat:" + clientID }

// CreateAccessToken stores t for t.ExpiresAt - t.CreatedAt and indexes it
// under its client, as sessions are indexed under their user.
func (s *Store) CreateAccessToken(ctx context.Context, digest string, t store.AccessToken) error {
	return s.putIndexed(ctx, "access token", s.clientKey(t.ClientID), s.accessTokenKey(digest), digest, t, t.CreatedAt, t.ExpiresAt)
}

// GetAccessToken relies on Redis expiry alone.
func (s *Store) GetAccessToken(ctx context.Context, digest string) (store.AccessToken, error) {
	data, err := s.rdb.Get(ctx, s.accessTokenKey(digest)).Bytes()
	if err != nil {
		return store.AccessToken{}, notFound("get access token", err)
	}
	var t store.AccessToken
	if err := json.Unmarshal(data, &t); err != nil {
		return store.AccessToken{}, fail("decode access token", err)
	}
	return t, nil
}

// DeleteAccessToken leaves the client index alone: a dangling digest there
// is harmless and pruned later.
func (s *Store) DeleteAccessToken(ctx context.Context, digest string) error {
	n, err := s.rdb.Del(ctx, s.accessTokenKey(digest)).Result()
	if err != nil {
		return fail("delete access token", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteClientAccessTokens deletes the client's tokens one key at a time
// (pipelined), since in a cluster they live in different slots.
func (s *Store) DeleteClientAccessTokens(ctx context.Context, clientID string) error {
	key := s.clientKey(clientID)
	digests, err := s.rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return fail("list client access tokens", err)
	}
	pipe := s.rdb.Pipeline()
	for _, d := range digests {
		pipe.Del(ctx, s.accessTokenKey(d))
	}
	pipe.Del(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		return fail("delete client access tokens", err)
	}
	return nil
}

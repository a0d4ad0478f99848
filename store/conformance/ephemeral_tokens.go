package conformance

import (
	"context"
	"testing"
	"time"

	"xtraauth/store"
)

func ephToken(client string, ttl time.Duration) store.AccessToken {
	now := ephBase
	return store.AccessToken{ClientID: client, CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

func testEphAccessTokens(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	want := ephToken("job", ephLong)
	ephNoErr(t, "create", s.CreateAccessToken(ctx, "t1", want))
	ephNoErr(t, "create", s.CreateAccessToken(ctx, "t2", ephToken("job", ephLong)))
	ephNoErr(t, "create", s.CreateAccessToken(ctx, "o1", ephToken("other", ephLong)))
	got, err := s.GetAccessToken(ctx, "t1")
	ephNoErr(t, "get", err)
	if got.ClientID != want.ClientID || !got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	_, err = s.GetAccessToken(ctx, "nope")
	ephWantErr(t, "get unknown", err, store.ErrNotFound)

	ephNoErr(t, "delete", s.DeleteAccessToken(ctx, "t1"))
	ephWantErr(t, "delete again", s.DeleteAccessToken(ctx, "t1"), store.ErrNotFound)
	_, err = s.GetAccessToken(ctx, "t1")
	ephWantErr(t, "get deleted", err, store.ErrNotFound)

	ephNoErr(t, "delete client's tokens", s.DeleteClientAccessTokens(ctx, "job"))
	_, err = s.GetAccessToken(ctx, "t2")
	ephWantErr(t, "get token of removed client", err, store.ErrNotFound)
	_, err = s.GetAccessToken(ctx, "o1")
	ephNoErr(t, "another client's token stays", err)
	ephNoErr(t, "delete tokens of a client without any", s.DeleteClientAccessTokens(ctx, "none"))
	if err := s.CreateAccessToken(ctx, "bad", ephToken("job", 0)); err == nil {
		t.Fatal("a token without lifetime was accepted")
	}
}

func testEphAccessTokenExpiry(t *testing.T, s Ephemeral, advance func(time.Duration)) {
	ctx := context.Background()
	ephNoErr(t, "create", s.CreateAccessToken(ctx, "short", ephToken("job", ephShort)))
	_, err := s.GetAccessToken(ctx, "short")
	ephNoErr(t, "get before expiry", err)
	advance(ephPastShort)
	_, err = s.GetAccessToken(ctx, "short")
	ephWantErr(t, "get after expiry", err, store.ErrNotFound)
}

package session

import (
	"context"
	"errors"

	"xtraauth/account"
	"xtraauth/dms"
	"xtraauth/store"
)

// ErrUnauthenticated means a credential names no live session or key.
var ErrUnauthenticated = errors.New("not authenticated")

// How a principal proved who it is.
const (
	ViaSession = "session"
	ViaDevKey  = "dev_key"
)

// Principal is who a request acts as.
type Principal struct {
	User          store.User
	Via           string
	SessionDigest string // set when Via is ViaSession
}

// Resolver turns any bearer credential into a principal. The middleware of
// every protected route and the forward-auth endpoint share it, so all front
// doors accept the same credentials the same way.
type Resolver struct {
	sessions *Manager
	accounts *account.Service
	dms      *dms.Tokens
}

// NewResolver makes a Resolver.
func NewResolver(sessions *Manager, accounts *account.Service, dmsTokens *dms.Tokens) *Resolver {
	return &Resolver{sessions: sessions, accounts: accounts, dms: dmsTokens}
}

// SessionToken returns the session token a credential carries: a DMS JWT's
// jti, else the credential itself.
func (r *Resolver) SessionToken(credential string) string {
	if dms.LooksLikeJWT(credential) {
		token, err := r.dms.SessionToken(credential)
		if err != nil {
			return ""
		}
		return token
	}
	return credential
}

// Resolve finds the enabled user behind a credential: a session token, a
// DMS JWT wrapping one, or a dev_key used directly. ErrUnauthenticated when
// it is none of them; other errors mean a store failed.
func (r *Resolver) Resolve(ctx context.Context, credential string) (Principal, error) {
	token := r.SessionToken(credential)
	if token == "" {
		return Principal{}, ErrUnauthenticated
	}
	s, err := r.sessions.Lookup(ctx, token)
	if err == nil {
		return r.sessionPrincipal(ctx, s, store.Digest(token))
	}
	if !errors.Is(err, store.ErrNotFound) {
		return Principal{}, err
	}
	u, ok, err := r.accounts.ResolveDevKey(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{User: u, Via: ViaDevKey}, nil
}

// sessionPrincipal reads the user afresh, so that a disabled user or a
// changed role takes effect at once, whatever the session says.
func (r *Resolver) sessionPrincipal(ctx context.Context, s store.Session, digest string) (Principal, error) {
	u, err := r.accounts.User(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{User: u, Via: ViaSession, SessionDigest: digest}, nil
}

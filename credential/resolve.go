package credential

import (
	"context"
	"errors"

	"xtraauth/fault"
	"xtraauth/oauth"
	"xtraauth/session"
	"xtraauth/store"
)

// ErrUnauthenticated means a credential names no live session, key or token.
var ErrUnauthenticated = fault.New(fault.Unauthenticated, "Not Authorized")

// How a principal proved who it is.
const (
	ViaSession = "session"
	ViaDevKey  = "dev_key"
	ViaOAuth   = "oauth"
)

// Principal is who a request acts as: a user, or an OAuth client (with a
// user too when the client uses sudo).
type Principal struct {
	User          store.Identity // zero for a client acting as itself
	Via           string
	SessionDigest string // set when Via is ViaSession
	ClientID      string // set when Via is ViaOAuth
}

// Sessions finds live sessions by digest (session.Manager).
type Sessions interface {
	Lookup(ctx context.Context, digest string) (store.Session, error)
}

// DevKeys finds the enabled user of a dev_key used as a token, counting a
// wrong one against the address (account.Service).
type DevKeys interface {
	ResolveDevKey(ctx context.Context, address, key string) (store.User, bool, error)
}

// Clients finds OAuth access tokens and resolves sudo (oauth.Service).
type Clients interface {
	Lookup(ctx context.Context, token string) (store.AccessToken, error)
	Sudo(ctx context.Context, clientID string, r oauth.SudoRequest, address string) (store.User, error)
}

// JWTs verifies DMS tokens and names their session (dms.Tokens).
type JWTs interface {
	SessionDigest(token string) (string, error)
}

// Resolver turns any credential into a principal.
type Resolver struct {
	sessions Sessions
	devKeys  DevKeys
	clients  Clients
	jwts     JWTs
}

// NewResolver makes a Resolver.
func NewResolver(sessions Sessions, devKeys DevKeys, clients Clients, jwts JWTs) *Resolver {
	return &Resolver{sessions: sessions, devKeys: devKeys, clients: clients, jwts: jwts}
}

// Resolve finds who a credential acts as: the user of a session token, of
// a DMS JWT naming a session, or of a dev_key used directly; or an OAuth
// client, as itself or through sudo as a user. ErrUnauthenticated when it
// is none of them; sudo on anything but a client token is
// oauth.ErrSudoNotAllowed; other errors mean a store failed.
func (r *Resolver) Resolve(ctx context.Context, p Presented) (Principal, error) {
	pr, err := r.resolve(ctx, p)
	if err != nil {
		return Principal{}, err
	}
	if p.Sudo.Sudo != "" && pr.Via != ViaOAuth {
		return Principal{}, oauth.ErrSudoNotAllowed
	}
	return pr, nil
}

func (r *Resolver) resolve(ctx context.Context, p Presented) (Principal, error) {
	switch shapeOf(p.Token) {
	case shapeSession, shapeJWT:
		digest, ok := r.SessionDigest(p.Token)
		if !ok {
			return Principal{}, ErrUnauthenticated
		}
		return r.session(ctx, digest)
	case shapeAccessToken:
		return r.client(ctx, p)
	case shapeDevKey:
		return r.devKey(ctx, p)
	}
	return Principal{}, ErrUnauthenticated
}

// SessionDigest names the session a credential stands for: the digest of
// a session token, or the session a valid DMS JWT names. ok is false for
// anything else (a dev_key, an access token, a bad JWT).
func (r *Resolver) SessionDigest(token string) (digest string, ok bool) {
	switch shapeOf(token) {
	case shapeSession:
		return store.Digest(token), true
	case shapeJWT:
		digest, err := r.jwts.SessionDigest(token)
		return digest, err == nil
	}
	return "", false
}

func (r *Resolver) session(ctx context.Context, digest string) (Principal, error) {
	s, err := r.sessions.Lookup(ctx, digest)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	if s.Kind == session.KindDMSRefresh { // buys DMS sessions, opens nothing
		return Principal{}, ErrUnauthenticated
	}
	return Principal{User: s.User, Via: ViaSession, SessionDigest: digest}, nil
}

func (r *Resolver) client(ctx context.Context, p Presented) (Principal, error) {
	t, err := r.clients.Lookup(ctx, p.Token)
	if errors.Is(err, oauth.ErrTokenNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	pr := Principal{Via: ViaOAuth, ClientID: t.ClientID}
	if p.Sudo.Sudo == "" {
		return pr, nil
	}
	u, err := r.clients.Sudo(ctx, t.ClientID, p.Sudo, p.Address)
	if err != nil {
		return Principal{}, err
	}
	pr.User = store.IdentityOf(u)
	return pr, nil
}

func (r *Resolver) devKey(ctx context.Context, p Presented) (Principal, error) {
	u, ok, err := r.devKeys.ResolveDevKey(ctx, p.Address, p.Token)
	if err != nil {
		return Principal{}, err
	}
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{User: store.IdentityOf(u), Via: ViaDevKey}, nil
}

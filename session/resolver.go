package session

import (
	"context"
	"errors"

	"xtraauth/account"
	"xtraauth/dms"
	"xtraauth/oauth"
	"xtraauth/store"
)

// ErrUnauthenticated means a credential names no live session or key.
var ErrUnauthenticated = errors.New("not authenticated")

// How a principal proved who it is.
const (
	ViaSession = "session"
	ViaDevKey  = "dev_key"
	ViaOAuth   = "oauth"
)

// Principal is who a request acts as: a user, or an OAuth client (with a
// user too when the client uses sudo).
type Principal struct {
	User          store.User // zero for a client acting as itself
	Via           string
	SessionDigest string // set when Via is ViaSession
	ClientID      string // set when Via is ViaOAuth
}

// Credential is what a request presents: a bearer secret and, for OAuth
// tokens, whom it asks to act as.
type Credential struct {
	Token   string
	Sudo    oauth.SudoRequest
	Address string
}

// Resolver turns any bearer credential into a principal. The middleware of
// every protected route and the forward-auth endpoint share it, so all front
// doors accept the same credentials the same way.
type Resolver struct {
	sessions *Manager
	accounts *account.Service
	dms      *dms.Tokens
	oauth    *oauth.Service
}

// NewResolver makes a Resolver.
func NewResolver(sessions *Manager, accounts *account.Service, dmsTokens *dms.Tokens, oauthService *oauth.Service) *Resolver {
	return &Resolver{sessions: sessions, accounts: accounts, dms: dmsTokens, oauth: oauthService}
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

// Resolve finds who a credential acts as: the enabled user of a session
// token, of a DMS JWT wrapping one, or of a dev_key used directly; or an
// OAuth client, as itself or through sudo as a user. ErrUnauthenticated
// when it is none of them; sudo on anything but a client token is
// oauth.ErrSudoNotAllowed; other errors mean a store failed.
func (r *Resolver) Resolve(ctx context.Context, c Credential) (Principal, error) {
	token := r.SessionToken(c.Token)
	if token == "" {
		return Principal{}, ErrUnauthenticated
	}
	p, err := r.resolve(ctx, token, c)
	if err != nil {
		return Principal{}, err
	}
	if c.Sudo.Sudo != "" && p.Via != ViaOAuth {
		return Principal{}, oauth.ErrSudoNotAllowed
	}
	return p, nil
}

func (r *Resolver) resolve(ctx context.Context, token string, c Credential) (Principal, error) {
	s, err := r.sessions.Lookup(ctx, token)
	if err == nil {
		return r.sessionPrincipal(ctx, s, store.Digest(token))
	}
	if !errors.Is(err, store.ErrNotFound) {
		return Principal{}, err
	}
	if c.Token != token { // a JWT whose session is gone
		return Principal{}, ErrUnauthenticated
	}
	at, err := r.oauth.Lookup(ctx, token)
	if err == nil {
		return r.clientPrincipal(ctx, at.ClientID, c)
	}
	if !errors.Is(err, oauth.ErrTokenNotFound) {
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

func (r *Resolver) clientPrincipal(ctx context.Context, clientID string, c Credential) (Principal, error) {
	p := Principal{Via: ViaOAuth, ClientID: clientID}
	if c.Sudo.Sudo == "" {
		return p, nil
	}
	u, err := r.oauth.Sudo(ctx, clientID, c.Sudo, c.Address)
	p.User = u
	return p, err
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

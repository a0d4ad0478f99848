// Package login turns a login and a secret into a session, for every front
// door alike (XSwitch API, DMS API, web page). The secret is checked by the
// account service behind the lockout gate; only then is a fresh session
// token issued — never one the client brought.
package login

import (
	"context"
	"errors"

	"xtraauth/account"
	"xtraauth/session"
	"xtraauth/store"
)

// ErrWrongCredentials answers a wrong password, an unknown login, a wrong
// dev_key and a disabled user alike.
var ErrWrongCredentials = errors.New("wrong username or password")

// Request is one login. A non-empty Password makes it a password login and
// DevKey is then ignored.
type Request struct {
	account.Attempt
	Password string
	DevKey   string
}

// Result is a started session.
type Result struct {
	User    store.User
	Token   string
	Session store.Session
}

// Service logs users in.
type Service struct {
	accounts *account.Service
	sessions *session.Manager
}

// New makes a Service.
func New(accounts *account.Service, sessions *session.Manager) *Service {
	return &Service{accounts: accounts, sessions: sessions}
}

// Login checks the request's secret and starts a session of kind.
func (s *Service) Login(ctx context.Context, r Request, kind string) (Result, error) {
	var (
		u   store.User
		ok  bool
		err error
	)
	if r.Password != "" {
		u, ok, err = s.accounts.CheckPassword(ctx, r.Attempt, r.Password)
	} else {
		u, ok, err = s.accounts.CheckDevKey(ctx, r.Attempt, r.DevKey)
	}
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{}, ErrWrongCredentials
	}
	return s.start(ctx, u, kind)
}

// maxStarts bounds the retries of start while the user keeps changing.
const maxStarts = 3

// start creates a session carrying u's identity, then reads the user again.
// A change of identity (role, tenant) or a disabling ends the user's
// sessions once it is stored, so a change stored before that read shows in
// it and one stored after it finds this session: either way no session
// outlives a change. When the identity changed meanwhile, the session is
// made again with the new one; a user disabled or deleted meanwhile gets
// no session.
func (s *Service) start(ctx context.Context, u store.User, kind string) (Result, error) {
	for range maxStarts {
		token, sess, err := s.sessions.Create(ctx, store.IdentityOf(u), kind)
		if err != nil {
			return Result{}, err
		}
		now, err := s.accounts.RecordLogin(ctx, u)
		switch {
		case err == nil && !now.Disabled && store.IdentityOf(now) == sess.User:
			return Result{User: now, Token: token, Session: sess}, nil
		case errors.Is(err, store.ErrNotFound) || (err == nil && now.Disabled):
			err = ErrWrongCredentials
		}
		// a session the client never learns of must not linger
		_ = s.sessions.End(ctx, store.Digest(token))
		if err != nil {
			return Result{}, err
		}
		u = now
	}
	return Result{}, ErrWrongCredentials
}

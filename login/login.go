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
	token, sess, err := s.sessions.Create(ctx, u, kind)
	if err != nil {
		return Result{}, err
	}
	if err := s.accounts.RecordLogin(ctx, u.ID); err != nil {
		_ = s.sessions.End(ctx, token) // a session the client never learns of must not linger
		return Result{}, err
	}
	return Result{User: u, Token: token, Session: sess}, nil
}

// Package login turns a login and a secret into a session, for every front
// door alike (XSwitch API, DMS API, web page). The secret is checked by the
// account service behind the lockout gate; only then is a fresh session
// token issued — never one the client brought.
package login

import (
	"context"
	"errors"

	"xtraauth/account"
	"xtraauth/fault"
	"xtraauth/session"
	"xtraauth/store"
)

// ErrWrongCredentials answers a wrong password, an unknown login, a wrong
// dev_key and a disabled user alike.
var ErrWrongCredentials = fault.New(fault.WrongCredentials, "Wrong username or password")

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
	return s.start(ctx, u, kind, true)
}

// ErrNoRefresh means a refresh token names no live refresh session.
var ErrNoRefresh = fault.New(fault.Unauthenticated, "refresh token not found or expired")

// Refresh starts a session of kind for the user of the live refresh
// session refreshDigest names (DMS's dms-refresh-token), as a login would,
// without a password: the refresh session ends with the user's other
// sessions when the password or the user changes.
func (s *Service) Refresh(ctx context.Context, refreshDigest, kind string) (Result, error) {
	r, err := s.sessions.Lookup(ctx, refreshDigest)
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.Kind != session.KindDMSRefresh) {
		return Result{}, ErrNoRefresh
	}
	if err != nil {
		return Result{}, err
	}
	u, err := s.accounts.User(ctx, r.User.ID)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, ErrNoRefresh
	}
	if err != nil {
		return Result{}, err
	}
	res, err := s.start(ctx, u, kind, false)
	if errors.Is(err, ErrWrongCredentials) {
		err = ErrNoRefresh
	}
	return res, err
}

// StartRefresh starts the refresh session that goes with a DMS login.
func (s *Service) StartRefresh(ctx context.Context, u store.User) (Result, error) {
	return s.start(ctx, u, session.KindDMSRefresh, false)
}

// reread reads the user again after a session was made for them,
// recording a login when login is set.
func (s *Service) reread(ctx context.Context, u store.User, login bool) (store.User, error) {
	if login {
		return s.accounts.RecordLogin(ctx, u)
	}
	return s.accounts.User(ctx, u.ID)
}

// maxStarts bounds the retries of start while the user keeps changing.
const maxStarts = 3

// start creates a session carrying u's identity, then reads the user again
// (recording a login when login is set).
// A change of identity (role, tenant) or a disabling ends the user's
// sessions once it is stored, so a change stored before that read shows in
// it and one stored after it finds this session: either way no session
// outlives a change. When the identity changed meanwhile, the session is
// made again with the new one; a user disabled or deleted meanwhile gets
// no session.
func (s *Service) start(ctx context.Context, u store.User, kind string, login bool) (Result, error) {
	for range maxStarts {
		token, sess, err := s.sessions.Create(ctx, store.IdentityOf(u), kind)
		if err != nil {
			return Result{}, err
		}
		now, err := s.reread(ctx, u, login)
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

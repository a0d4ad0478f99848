// Package login turns a login and a secret into a session, for every front
// door alike (XSwitch API, DMS API, web page). The secret is checked by the
// account service behind the lockout gate; only then is a fresh session
// token issued — never one the client brought.
package login

import (
	"context"
	"errors"
	"time"

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
	now      func() time.Time
}

// New makes a Service.
func New(accounts *account.Service, sessions *session.Manager, now func() time.Time) *Service {
	return &Service{accounts: accounts, sessions: sessions, now: now}
}

// Login checks the request's secret and starts a session of kind.
func (s *Service) Login(ctx context.Context, r Request, kind string) (Result, error) {
	var (
		u      store.User
		ok     bool
		err    error
		readAt = s.now()
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
	verified := ""
	if r.Password != "" {
		verified = u.PasswordHash
	}
	return s.start(ctx, u, readAt, verified, kind, true)
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
	readAt := s.now()
	u, err := s.accounts.User(ctx, r.User.ID)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, ErrNoRefresh
	}
	if err != nil {
		return Result{}, err
	}
	res, err := s.start(ctx, u, readAt, "", kind, false)
	if errors.Is(err, ErrWrongCredentials) {
		err = ErrNoRefresh
	}
	return res, err
}

// StartRefresh starts the refresh session that goes with a DMS login. When
// u was read is not known, so it is read again.
func (s *Service) StartRefresh(ctx context.Context, u store.User) (Result, error) {
	return s.start(ctx, u, time.Time{}, "", session.KindDMSRefresh, false)
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

// start creates a session carrying u's identity, as read at readAt;
// verified is the password hash a password login was checked against.
// A change of identity (role, tenant), of the password, a disabling or a
// deletion ends the user's sessions once it is stored, so a session stored
// after that is safe only if u was read after the change too. The store
// tells whether the user's sessions ended lately; if they did, or u was
// read too long ago for that to tell, or a login is to be recorded, the
// user is read again: a change stored before that read shows in it, and
// one stored after it finds this session. When the identity changed
// meanwhile, the session is made again with the new one; a user disabled
// or deleted meanwhile, or whose password changed since it was checked,
// gets no session.
func (s *Service) start(ctx context.Context, u store.User, readAt time.Time, verified, kind string, login bool) (Result, error) {
	for range maxStarts {
		c, err := s.sessions.Create(ctx, store.IdentityOf(u), kind)
		if err != nil {
			return Result{}, err
		}
		fresh := !c.EndedLately && s.now().Sub(readAt) < store.EndedLately/2
		if fresh && !(login && s.accounts.LoginDue(u)) {
			return Result{User: u, Token: c.Token, Session: c.Session}, nil
		}
		readAt = s.now()
		now, err := s.reread(ctx, u, login)
		gone := err == nil && (now.Disabled || (verified != "" && now.PasswordHash != verified))
		switch {
		case err == nil && !gone && store.IdentityOf(now) == c.Session.User:
			return Result{User: now, Token: c.Token, Session: c.Session}, nil
		case errors.Is(err, store.ErrNotFound) || gone:
			err = ErrWrongCredentials
		}
		// a session the client never learns of must not linger
		_ = s.sessions.End(ctx, store.Digest(c.Token))
		if err != nil {
			return Result{}, err
		}
		u = now
	}
	return Result{}, ErrWrongCredentials
}

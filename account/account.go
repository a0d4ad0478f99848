package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"xtraauth/fault"
	"xtraauth/store"
)

// Limits on outside input, as the contract states them.
const (
	MaxLoginLen    = 128
	MaxPasswordLen = 1024
)

// ErrForbidden refuses a change the actor may not make.
var ErrForbidden = fault.New(fault.Forbidden, "Forbidden")

// invalid names what is wrong with an input.
func invalid(format string, args ...any) error {
	return fault.New(fault.Invalid, fmt.Sprintf(format, args...))
}

// TenantGetter checks that a tenant a user is put in exists.
type TenantGetter interface {
	GetTenant(ctx context.Context, id int64) (store.Tenant, error)
}

// SessionEnder ends a user's sessions when their secret or rights change.
type SessionEnder interface {
	DeleteUserSessions(ctx context.Context, userID int64, keep string) error
}

// Deps are what the account service works on.
type Deps struct {
	Users    store.Users
	DevKeys  store.DevKeys
	Tenants  TenantGetter
	Sessions SessionEnder // may end sessions on another store than users live in
	Gate     Gate
	Hasher   *Hasher
	Audit    store.Audit // records changes of passwords, dev_keys and disabling
	Now      func() time.Time
}

// Service manages users and dev_keys and checks their secrets, every check
// behind the gate.
type Service struct {
	users    store.Users
	devKeys  store.DevKeys
	tenants  TenantGetter
	sessions SessionEnder
	gate     Gate
	hasher   *Hasher
	audit    store.Audit
	now      func() time.Time
	// dummyHash is verified for unknown logins, so that they cost the same
	// time as known ones.
	dummyHash string
	costs     *evenCost
}

// New makes a Service.
func New(ctx context.Context, d Deps) (*Service, error) {
	s := &Service{users: d.Users, devKeys: d.DevKeys, tenants: d.Tenants, sessions: d.Sessions, gate: d.Gate,
		hasher: d.Hasher, audit: d.Audit, now: d.Now, costs: newEvenCost()}
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	dummy, err := s.hasher.Hash(ctx, hex.EncodeToString(random))
	if err != nil {
		return nil, err
	}
	s.dummyHash = dummy
	return s, nil
}

// Key is the lower-cased login that counters and uniqueness use.
func Key(login string) string { return strings.ToLower(login) }

// CheckPassword reports whether password is right for an enabled user with
// the attempt's login, behind the gate. err means the gate refused (captcha,
// lock) or the system failed; a wrong password is a plain false.
func (s *Service) CheckPassword(ctx context.Context, a Attempt, password string) (store.User, bool, error) {
	if err := s.gate.Enter(ctx, a); err != nil {
		return store.User{}, false, err
	}
	// What was counted is settled even if the client hangs up meanwhile:
	// an attempt counted in advance must be refunded or recorded.
	u, ok, err := s.verifyPassword(ctx, a.Login, password)
	if err != nil {
		s.gate.Cancel(context.WithoutCancel(ctx), a)
		return store.User{}, false, err
	}
	if err := s.gate.Finish(context.WithoutCancel(ctx), a, ok); err != nil {
		return store.User{}, false, err
	}
	return u, ok, nil
}

// verifyPassword pays one hash for unknown logins like for known ones, and
// pads every refusal to the cost of the dearest kind of stored hash, so
// that time does not tell which logins exist or how their hashes were
// made; a disabled user's right password is a plain false.
func (s *Service) verifyPassword(ctx context.Context, login, password string) (store.User, bool, error) {
	u, err := s.users.GetUserByLogin(ctx, login)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, err
	}
	hash := s.dummyHash
	if known && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, rehash, took, err := s.hasher.verify(ctx, password, hash)
	if errors.Is(err, ErrBadHash) {
		// A stored hash we cannot read is a wrong password; pay the dummy's
		// hash anyway, so that its quick refusal does not stand out.
		hash = s.dummyHash
		ok, rehash = false, false
		_, _, took, err = s.hasher.verify(ctx, password, hash)
	}
	if err != nil {
		return store.User{}, false, err
	}
	s.costs.observe(hashKind(hash), took)
	if !known || !ok || u.Disabled || u.PasswordHash == "" {
		s.costs.pad(ctx, took)
		return store.User{}, false, nil
	}
	if rehash {
		u = s.upgradeHash(ctx, u, password)
	}
	return u, true, nil
}

// LearnHashCosts measures, once per kind of password hash stored (bcrypt
// of each cost, argon2id of each set of parameters), what verifying one
// costs, so that refusals are padded to the dearest kind from the start
// rather than from the first login of such a user. It reads every user, a
// page at a time; the server runs it in the background at start.
func (s *Service) LearnHashCosts(ctx context.Context) error {
	examples := map[string]string{}
	const pageSize = 1000
	for offset := 0; ; offset += pageSize {
		users, _, err := s.users.ListUsers(ctx, store.UserFilter{Offset: offset, Limit: pageSize})
		if err != nil {
			return err
		}
		for _, u := range users {
			if kind := hashKind(u.PasswordHash); kind != "" && examples[kind] == "" {
				examples[kind] = u.PasswordHash
			}
		}
		if len(users) < pageSize {
			break
		}
	}
	for kind, hash := range examples {
		_, _, took, err := s.hasher.verify(ctx, rand.Text(), hash)
		if err != nil {
			return err
		}
		s.costs.observe(kind, took)
	}
	return nil
}

// upgradeHash replaces an imported bcrypt hash (or old argon2id parameters)
// and returns u as stored now. Only the hash just verified is replaced, never
// a password changed meanwhile; a failure here must not fail the login, the
// next one retries.
func (s *Service) upgradeHash(ctx context.Context, u store.User, password string) store.User {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return u
	}
	upgraded, err := s.users.UpdateUser(ctx, u.ID, func(now *store.User) error {
		if now.PasswordHash != u.PasswordHash {
			return errPasswordChanged
		}
		now.PasswordHash = hash
		return nil
	})
	if err != nil {
		return u
	}
	return upgraded
}

// errPasswordChanged stops an upgrade of a hash that is no longer stored.
var errPasswordChanged = errors.New("the password changed meanwhile")

// RecordLogin notes the time of a good login of u, at most once a minute
// (a job logging in many times a second must not queue on the database's
// write lock), and returns the user as stored now.
func (s *Service) RecordLogin(ctx context.Context, u store.User) (store.User, error) {
	if !s.LoginDue(u) {
		return s.users.GetUser(ctx, u.ID)
	}
	at := s.now().UTC()
	return s.users.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.LastLoginAt = &at
		return nil
	})
}

// LoginDue reports whether a login of u is to be recorded: last_login_at
// is written at most every touchEvery.
func (s *Service) LoginDue(u store.User) bool {
	return u.LastLoginAt == nil || s.now().Sub(*u.LastLoginAt) >= touchEvery
}

// User returns an enabled or disabled user by id.
func (s *Service) User(ctx context.Context, id int64) (store.User, error) {
	return s.users.GetUser(ctx, id)
}

// UserByLogin finds a user case-insensitively.
func (s *Service) UserByLogin(ctx context.Context, login string) (store.User, error) {
	return s.users.GetUserByLogin(ctx, login)
}

// Users lists one page of users and the count of all that match.
func (s *Service) Users(ctx context.Context, f store.UserFilter) ([]store.User, int, error) {
	return s.users.ListUsers(ctx, f)
}

func validatePassword(p string) error {
	if p == "" {
		return invalid("password is required")
	}
	if len(p) > MaxPasswordLen {
		return invalid("password is longer than %d bytes", MaxPasswordLen)
	}
	return nil
}

func validateLogin(l string) error {
	if l == "" {
		return invalid("login is required")
	}
	if len(l) > MaxLoginLen {
		return invalid("login is longer than %d bytes", MaxLoginLen)
	}
	if strings.TrimSpace(l) != l || strings.ContainsAny(l, "\x00\r\n\t") {
		return invalid("login must not contain spaces at the ends or control characters")
	}
	return nil
}

// EnsureAdmin creates the first super admin on an empty database. With an
// empty password it generates one and returns it, to be shown once. Two
// processes racing here create one admin: the unique login decides, and
// only the winner reports created.
func (s *Service) EnsureAdmin(ctx context.Context, login, password string) (created bool, generated string, err error) {
	n, err := s.users.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if password == "" {
		random := make([]byte, 12)
		if _, err := rand.Read(random); err != nil {
			return false, "", err
		}
		password = base64.RawURLEncoding.EncodeToString(random)
		generated = password
	}
	_, err = s.Create(ctx, store.User{Login: login, Name: login, IsSuper: true, Type: store.UserTypeNormal}, password)
	if errors.Is(err, store.ErrAlreadyExists) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	return true, generated, nil
}

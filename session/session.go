// Package session issues, finds and ends login sessions. A session is named
// by a random token the client holds; the store keeps only its SHA-256 (the
// session's digest), so a dump of Redis logs nobody in. Beside it the store
// keeps the user's identity, so finding a session is all an authenticated
// request costs. Sessions last a fixed TTL from login (not sliding) and live
// in the ephemeral store shared by every server process, so a logout on one
// process ends the session on all of them.
package session

import (
	"context"
	"time"

	"github.com/google/uuid"

	"xtraauth/store"
)

// Kinds of session, by front door. A DMS refresh session only buys new
// DMS sessions (as DMS's dms-refresh-token does); it is no credential.
const (
	KindXSwitch    = "xswitch"
	KindDMS        = "dms"
	KindDMSRefresh = "dms-refresh"
	KindWeb        = "web"
)

// Manager issues and ends sessions.
type Manager struct {
	store store.Sessions
	ttl   time.Duration
	ttls  map[string]time.Duration // of kinds that do not last ttl
	now   func() time.Time
}

// NewManager makes a Manager whose sessions last ttl.
func NewManager(s store.Sessions, ttl time.Duration, now func() time.Time) *Manager {
	return &Manager{store: s, ttl: ttl, ttls: map[string]time.Duration{}, now: now}
}

// SetTTL makes sessions of kind last ttl; it is for wiring, before use.
func (m *Manager) SetTTL(kind string, ttl time.Duration) { m.ttls[kind] = ttl }

func (m *Manager) ttlOf(kind string) time.Duration {
	if ttl, ok := m.ttls[kind]; ok {
		return ttl
	}
	return m.ttl
}

// Created is a started session.
type Created struct {
	Token   string
	Session store.Session
	// EndedLately is store.Sessions' report that the user's sessions were
	// ended within store.EndedLately.
	EndedLately bool
}

// Create starts a session for the user with a fresh token.
func (m *Manager) Create(ctx context.Context, user store.Identity, kind string) (Created, error) {
	token, err := uuid.NewRandom()
	if err != nil {
		return Created{}, err
	}
	now := m.now().UTC()
	s := store.Session{User: user, Kind: kind, CreatedAt: now, ExpiresAt: now.Add(m.ttlOf(kind))}
	ended, err := m.store.CreateSession(ctx, store.Digest(token.String()), s)
	if err != nil {
		return Created{}, err
	}
	return Created{Token: token.String(), Session: s, EndedLately: ended}, nil
}

// Lookup finds the live session of a digest; store.ErrNotFound if none.
func (m *Manager) Lookup(ctx context.Context, digest string) (store.Session, error) {
	s, err := m.store.GetSession(ctx, digest)
	if err != nil {
		return store.Session{}, err
	}
	if !m.now().Before(s.ExpiresAt) {
		return store.Session{}, store.ErrNotFound
	}
	return s, nil
}

// End deletes the session of a digest; store.ErrNotFound if there was none.
func (m *Manager) End(ctx context.Context, digest string) error {
	return m.store.DeleteSession(ctx, digest)
}

// DeleteUserSessions ends every session of the user but keep (a digest).
func (m *Manager) DeleteUserSessions(ctx context.Context, userID int64, keep string) error {
	return m.store.DeleteUserSessions(ctx, userID, keep)
}

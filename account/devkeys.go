package account

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"

	"xtraauth/store"
)

// prefixLen is how much of a dev_key lists show: its time and 8 hex digits.
const prefixLen = 18

// touchEvery limits last_used_at writes for a busy job's key.
const touchEvery = time.Minute

// NewDevKey is a freshly made key; Key is shown once and never again.
type NewDevKey struct {
	store.DevKey
	Key string
}

// MintDevKey makes a key for the user in the seed's format, unix seconds
// followed by a UUID v4, and the record to store for it; it stores nothing.
func (s *Service) MintDevKey(userID int64, label string) (NewDevKey, error) {
	if len(label) > maxFieldLen {
		return NewDevKey{}, invalid("label is longer than %d bytes", maxFieldLen)
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return NewDevKey{}, err
	}
	now := s.now().UTC()
	key := strconv.FormatInt(now.Unix(), 10) + id.String()
	return NewDevKey{Key: key, DevKey: store.DevKey{
		UserID: userID, Label: label, Prefix: key[:prefixLen], Hash: store.Digest(key), CreatedAt: now,
	}}, nil
}

// CreateDevKey mints and stores a key for the user.
func (s *Service) CreateDevKey(ctx context.Context, userID int64, label string) (NewDevKey, error) {
	nk, err := s.MintDevKey(userID, label)
	if err != nil {
		return NewDevKey{}, err
	}
	k, err := s.devKeys.CreateDevKey(ctx, nk.DevKey)
	if err != nil {
		return NewDevKey{}, err
	}
	nk.DevKey = k
	return nk, s.recordFor(ctx, userID, AuditDevKeyCreated, "id "+strconv.FormatInt(k.ID, 10))
}

// DevKeys lists a user's keys.
func (s *Service) DevKeys(ctx context.Context, userID int64) ([]store.DevKey, error) {
	return s.devKeys.ListDevKeys(ctx, userID)
}

// DevKey returns one key's record.
func (s *Service) DevKey(ctx context.Context, id int64) (store.DevKey, error) {
	return s.devKeys.GetDevKey(ctx, id)
}

// RevokeDevKey deletes a key; it stops working at once.
func (s *Service) RevokeDevKey(ctx context.Context, id int64) error {
	k, err := s.devKeys.GetDevKey(ctx, id)
	if err != nil {
		return err
	}
	if err := s.devKeys.DeleteDevKey(ctx, id); err != nil {
		return err
	}
	return s.recordFor(ctx, k.UserID, AuditDevKeyRevoked, "id "+strconv.FormatInt(id, 10))
}

// CheckDevKey reports whether key belongs to the enabled user with the
// attempt's login. A key carries 122 random bits and costs one SHA-256, so
// it is checked first and only a wrong one is counted (against the address,
// never the login): a job with any number of workers is never refused its
// own right key. The key is looked up by its digest alone, so time does not
// tell which logins exist.
func (s *Service) CheckDevKey(ctx context.Context, a Attempt, key string) (store.User, bool, error) {
	return s.devKeyUser(ctx, a, key, func(u store.User) bool {
		return store.LoginKey(u.Login) == store.LoginKey(a.Login)
	})
}

// ResolveDevKey finds the enabled user a dev_key used as a token belongs
// to, behind the same per-address count as dev_key logins.
func (s *Service) ResolveDevKey(ctx context.Context, address, key string) (store.User, bool, error) {
	return s.devKeyUser(ctx, Attempt{Address: address}, key, func(store.User) bool { return true })
}

// devKeyUser finds the enabled user of key if belongs approves of them,
// counting a miss against the attempt's address.
func (s *Service) devKeyUser(ctx context.Context, a Attempt, key string, belongs func(store.User) bool) (store.User, bool, error) {
	if err := s.gate.EnterDevKey(ctx, a); err != nil {
		return store.User{}, false, err
	}
	k, u, err := s.devKeys.GetDevKeyUser(ctx, store.Digest(key))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, err
	}
	ok := err == nil && !u.Disabled && belongs(u)
	if err := s.gate.FinishDevKey(context.WithoutCancel(ctx), a, ok); err != nil || !ok {
		return store.User{}, false, err
	}
	s.touch(ctx, k)
	return u, true, nil
}

// touch records use; losing one such write is harmless, so errors are dropped.
func (s *Service) touch(ctx context.Context, k store.DevKey) {
	now := s.now().UTC()
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < touchEvery {
		return
	}
	_ = s.devKeys.TouchDevKey(ctx, k.ID, now)
}

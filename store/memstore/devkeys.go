package memstore

import (
	"cmp"
	"context"
	"time"

	"xtraauth/store"
)

func copyDevKey(k store.DevKey) store.DevKey {
	k.LastUsedAt = dbTimePtr(k.LastUsedAt)
	return k
}

// CreateDevKey implements store.DevKeys. A zero CreatedAt becomes now.
func (s *Store) CreateDevKey(_ context.Context, k store.DevKey) (store.DevKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k.CreatedAt = s.nowOr(k.CreatedAt)
	k.LastUsedAt = dbTimePtr(k.LastUsedAt)
	if err := s.addDevKey(&k); err != nil {
		return store.DevKey{}, err
	}
	return copyDevKey(k), nil
}

// addDevKey inserts k and sets its ID; s.mu must be held.
func (s *Store) addDevKey(k *store.DevKey) error {
	if _, ok := s.users[k.UserID]; !ok {
		return notFound("create dev_key: user %d", k.UserID)
	}
	for _, o := range s.devKeys {
		if o.Hash == k.Hash {
			return alreadyExists("create dev_key")
		}
	}
	k.ID = s.nextID(tableDevKeys)
	s.devKeys[k.ID] = copyDevKey(*k)
	return nil
}

// GetDevKey implements store.DevKeys.
func (s *Store) GetDevKey(_ context.Context, id int64) (store.DevKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.devKeys[id]
	if !ok {
		return store.DevKey{}, notFound("dev_key %d", id)
	}
	return copyDevKey(k), nil
}

// GetDevKeyUser implements store.DevKeys.
func (s *Store) GetDevKeyUser(_ context.Context, hash string) (store.DevKey, store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.devKeys {
		if u, ok := s.users[k.UserID]; ok && k.Hash == hash {
			return copyDevKey(k), copyUser(u), nil
		}
	}
	// The hash is a credential's digest: keep it out of the message.
	return store.DevKey{}, store.User{}, notFound("dev_key by hash")
}

// ListDevKeys implements store.DevKeys, oldest first.
func (s *Store) ListDevKeys(_ context.Context, userID int64) ([]store.DevKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedValues(s.devKeys, func(k store.DevKey) bool { return k.UserID == userID }, copyDevKey,
		func(a, b store.DevKey) int { return cmp.Compare(a.ID, b.ID) }), nil
}

// DeleteDevKey implements store.DevKeys.
func (s *Store) DeleteDevKey(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return remove(s.devKeys, id, "delete dev_key %d", id)
}

// DeleteUserDevKeys implements store.DevKeys.
func (s *Store) DeleteUserDevKeys(_ context.Context, userID int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, k := range s.devKeys {
		if k.UserID == userID {
			delete(s.devKeys, id)
			n++
		}
	}
	return n, nil
}

// TouchDevKey implements store.DevKeys.
func (s *Store) TouchDevKey(_ context.Context, id int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.devKeys[id]
	if !ok {
		return notFound("touch dev_key %d", id)
	}
	k.LastUsedAt = dbTimePtr(&at)
	s.devKeys[id] = k
	return nil
}

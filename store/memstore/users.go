package memstore

import (
	"cmp"
	"context"
	"strings"

	"xtraauth/store"
)

// copyUser is u with its own LastLoginAt, so callers never share it.
func copyUser(u store.User) store.User {
	u.LastLoginAt = dbTimePtr(u.LastLoginAt)
	return u
}

// normalizeUser fills the defaults and rounds the times as the SQL stores do.
func normalizeUser(u *store.User) {
	u.FillDefaults()
	u.LastLoginAt = dbTimePtr(u.LastLoginAt)
	u.UpdatedAt = dbTime(u.UpdatedAt)
}

func isActiveSuper(u store.User) bool { return u.IsSuper && !u.Disabled }

// checkUser refuses u if its login (case-insensitively), email
// (case-insensitively) or mobile is another user's, or its tenant is
// missing; s.mu must be held.
func (s *Store) checkUser(u store.User) error {
	// Emails are lower-cased as the SQL stores' lower(email) is;
	// strings.EqualFold would fold a few more runes alike.
	login, email := store.LoginKey(u.Login), strings.ToLower(u.Email)
	for _, o := range s.users {
		switch {
		case o.ID == u.ID:
		case store.LoginKey(o.Login) == login:
			return alreadyExists("user %q", u.Login)
		case u.Email != "" && strings.ToLower(o.Email) == email:
			return alreadyExists("user %q: email %q", u.Login, u.Email)
		case u.Mobile != "" && o.Mobile == u.Mobile:
			return alreadyExists("user %q: mobile %q", u.Login, u.Mobile)
		}
	}
	if _, ok := s.tenants[u.TenantID]; !ok {
		return notFound("user %q: tenant %d", u.Login, u.TenantID)
	}
	return nil
}

// activeSupers counts enabled super admins; s.mu must be held.
func (s *Store) activeSupers() int {
	n := 0
	for _, u := range s.users {
		if isActiveSuper(u) {
			n++
		}
	}
	return n
}

// CreateUser implements store.Users.
func (s *Store) CreateUser(_ context.Context, u store.User) (store.User, error) {
	normalizeUser(&u)
	s.mu.Lock()
	defer s.mu.Unlock()
	u.ID = 0
	u.CreatedAt = s.nowOr(u.CreatedAt)
	u.UpdatedAt = u.CreatedAt
	if err := s.checkUser(u); err != nil {
		return store.User{}, err
	}
	u.ID = s.nextID(tableUsers)
	s.users[u.ID] = copyUser(u)
	return u, nil
}

// GetUser implements store.Users.
func (s *Store) GetUser(_ context.Context, id int64) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return store.User{}, notFound("user %d", id)
	}
	return copyUser(u), nil
}

// findUser is the first user (by id) that match accepts.
func (s *Store) findUser(what string, match func(store.User) bool) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.sortedUsers() {
		if match(u) {
			return copyUser(u), nil
		}
	}
	return store.User{}, notFound("%s", what)
}

// sortedUsers lists the users by id; s.mu must be held.
func (s *Store) sortedUsers() []store.User {
	return sortedValues(s.users, nil, same, func(a, b store.User) int { return cmp.Compare(a.ID, b.ID) })
}

// GetUserByLogin implements store.Users.
func (s *Store) GetUserByLogin(_ context.Context, login string) (store.User, error) {
	key := store.LoginKey(login)
	return s.findUser("user "+login, func(u store.User) bool { return store.LoginKey(u.Login) == key })
}

// GetUserByEmail implements store.UserFinder.
func (s *Store) GetUserByEmail(_ context.Context, email string) (store.User, error) {
	key := strings.ToLower(email)
	return s.findUser("user with email "+email, func(u store.User) bool {
		return email != "" && strings.ToLower(u.Email) == key
	})
}

// GetUserByMobile implements store.UserFinder.
func (s *Store) GetUserByMobile(_ context.Context, mobile string) (store.User, error) {
	return s.findUser("user with mobile "+mobile, func(u store.User) bool {
		return mobile != "" && u.Mobile == mobile
	})
}

// ListUsers implements store.Users, by id.
func (s *Store) ListUsers(_ context.Context, f store.UserFilter) ([]store.User, int, error) {
	login, name := store.LoginKey(f.Login), strings.ToLower(f.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []store.User
	for _, u := range s.sortedUsers() {
		if strings.Contains(store.LoginKey(u.Login), login) && strings.Contains(strings.ToLower(u.Name), name) &&
			(f.Type == "" || u.Type == f.Type) {
			match = append(match, copyUser(u))
		}
	}
	return page(match, f.Offset, f.Limit), len(match), nil
}

// UpdateUser implements store.Users. If update changes UpdatedAt its value
// is kept, else UpdatedAt becomes now.
func (s *Store) UpdateUser(_ context.Context, id int64, update func(*store.User) error) (store.User, error) {
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.Lock()
	before, ok := s.users[id]
	s.mu.Unlock()
	if !ok {
		return store.User{}, notFound("user %d", id)
	}
	after := copyUser(before)
	if err := update(&after); err != nil {
		return store.User{}, err // the caller's own error, unwrapped
	}
	after.ID, after.CreatedAt = before.ID, before.CreatedAt
	if after.UpdatedAt.Equal(before.UpdatedAt) {
		after.UpdatedAt = s.now()
	}
	normalizeUser(&after)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkUser(after); err != nil {
		return store.User{}, err
	}
	// before is still the stored row: only holders of s.writer change rows
	if isActiveSuper(before) && !isActiveSuper(after) && s.activeSupers() == 1 {
		return store.User{}, store.ErrLastSuperAdmin
	}
	s.users[id] = copyUser(after)
	return after, nil
}

// DeleteUser implements store.Users: the user's dev_keys and approvals go
// with them.
func (s *Store) DeleteUser(_ context.Context, id int64) error {
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return notFound("user %d", id)
	}
	if isActiveSuper(u) && s.activeSupers() == 1 {
		return store.ErrLastSuperAdmin
	}
	delete(s.users, id)
	for kid, k := range s.devKeys {
		if k.UserID == id {
			delete(s.devKeys, kid)
		}
	}
	for aid, a := range s.approvals {
		if a.UserID == id {
			delete(s.approvals, aid)
		}
	}
	return nil
}

// CountUsers implements store.Users.
func (s *Store) CountUsers(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users), nil
}

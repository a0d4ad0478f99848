package account

import (
	"context"
	"errors"

	"xtraauth/store"
)

// ErrWrongOldPassword refuses a password change whose old_password is wrong.
var ErrWrongOldPassword = errors.New("wrong old password")

const maxFieldLen = 255

// Actor is who asks for a change, and through which session.
type Actor struct {
	User          store.Identity
	SessionDigest string // the session that asks; kept on a password change
	Address       string
}

// Change lists the fields to set; nil leaves a field as it is.
type Change struct {
	Name, Email, Mobile, Tel, ExtnID, Type, Domain, Context *string
	IsSuper, Disabled                                       *bool
	TenantID                                                *int64
	Password                                                *string
	OldPassword                                             string
	// CaptchaID and CaptchaAnswer go with OldPassword once the login needs a captcha.
	CaptchaID, CaptchaAnswer string
}

// Create adds a user with password (hashed here). u.Login must be new.
func (s *Service) Create(ctx context.Context, u store.User, password string) (store.User, error) {
	if err := validateLogin(u.Login); err != nil {
		return store.User{}, err
	}
	if err := validatePassword(password); err != nil {
		return store.User{}, err
	}
	if err := validateUser(u); err != nil {
		return store.User{}, err
	}
	if err := s.checkTenant(ctx, u.TenantID); err != nil {
		return store.User{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return store.User{}, err
	}
	u.PasswordHash = hash
	u.CreatedAt = s.now().UTC()
	return s.users.CreateUser(ctx, u)
}

// Update applies ch to user id on behalf of actor. Admins may change
// everything; users only their own name, email, mobile, tel and password,
// the last with their old password, checked behind the gate.
func (s *Service) Update(ctx context.Context, actor Actor, id int64, ch Change) (store.User, error) {
	self := actor.User.ID == id
	if !actor.User.IsSuper && !self {
		return store.User{}, ErrForbidden
	}
	current, err := s.users.GetUser(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	if !actor.User.IsSuper {
		if changes(ch.IsSuper, current.IsSuper) || changes(ch.Disabled, current.Disabled) {
			return store.User{}, ErrForbidden
		}
		ch = Change{Name: ch.Name, Email: ch.Email, Mobile: ch.Mobile, Tel: ch.Tel,
			Password: ch.Password, OldPassword: ch.OldPassword, CaptchaID: ch.CaptchaID, CaptchaAnswer: ch.CaptchaAnswer}
	}
	if ch.TenantID != nil {
		if err := s.checkTenant(ctx, *ch.TenantID); err != nil {
			return store.User{}, err
		}
	}
	hash, err := s.newPasswordHash(ctx, actor, self, ch)
	if err != nil {
		return store.User{}, err
	}
	updated, err := s.users.UpdateUser(ctx, id, func(u *store.User) error {
		ch.Apply(u)
		if hash != "" {
			u.PasswordHash = hash
		}
		u.UpdatedAt = s.now().UTC()
		return validateUser(*u)
	})
	if err != nil {
		return store.User{}, err
	}
	if err := s.recordUpdate(WithOrigin(ctx, Origin{Login: actor.User.Login, Address: actor.Address}), current, updated, hash != ""); err != nil {
		return store.User{}, err
	}
	switch {
	case updated.Disabled || (hash != "" && !self) || store.IdentityOf(updated) != store.IdentityOf(current):
		// Sessions carry the identity, so a change of it ends them, as
		// disabling and someone else's reset do.
		return updated, s.sessions.DeleteUserSessions(ctx, id, "")
	case hash != "":
		return updated, s.sessions.DeleteUserSessions(ctx, id, actor.SessionDigest)
	}
	return updated, nil
}

// recordUpdate audits a new password and a user being disabled.
func (s *Service) recordUpdate(ctx context.Context, before, after store.User, newPassword bool) error {
	if newPassword {
		if err := s.record(ctx, after.Login, AuditPasswordChanged, "changed"); err != nil {
			return err
		}
	}
	if after.Disabled && !before.Disabled {
		return s.record(ctx, after.Login, AuditUserDisabled, "disabled")
	}
	return nil
}

// newPasswordHash hashes ch.Password if set; one's own password needs the
// old one, which counts as a login attempt when wrong.
func (s *Service) newPasswordHash(ctx context.Context, actor Actor, self bool, ch Change) (string, error) {
	if ch.Password == nil || *ch.Password == "" {
		return "", nil
	}
	if err := validatePassword(*ch.Password); err != nil {
		return "", err
	}
	if self {
		if ch.OldPassword == "" {
			return "", invalid("old_password is required to change your own password")
		}
		a := Attempt{Login: actor.User.Login, Address: actor.Address, CaptchaID: ch.CaptchaID, CaptchaAnswer: ch.CaptchaAnswer}
		_, ok, err := s.CheckPassword(ctx, a, ch.OldPassword)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", ErrWrongOldPassword
		}
	}
	return s.hasher.Hash(ctx, *ch.Password)
}

// SetPassword is an operator's reset: it ends all the user's sessions.
func (s *Service) SetPassword(ctx context.Context, login, password string) error {
	if err := validatePassword(password); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.updateByLogin(ctx, login, func(u *store.User) { u.PasswordHash = hash }); err != nil {
		return err
	}
	return s.record(ctx, login, AuditPasswordChanged, "reset")
}

// Disable turns a user off and ends all their sessions.
func (s *Service) Disable(ctx context.Context, login string) error {
	u, err := s.users.GetUserByLogin(ctx, login)
	if err != nil {
		return err
	}
	if err := s.updateByLogin(ctx, login, func(u *store.User) { u.Disabled = true }); err != nil || u.Disabled {
		return err
	}
	return s.record(ctx, login, AuditUserDisabled, "disabled")
}

func (s *Service) updateByLogin(ctx context.Context, login string, change func(*store.User)) error {
	u, err := s.users.GetUserByLogin(ctx, login)
	if err != nil {
		return err
	}
	_, err = s.users.UpdateUser(ctx, u.ID, func(u *store.User) error {
		change(u)
		u.UpdatedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	return s.sessions.DeleteUserSessions(ctx, u.ID, "")
}

// Delete removes a user with their dev_keys and ends their sessions.
func (s *Service) Delete(ctx context.Context, id int64) error {
	if err := s.users.DeleteUser(ctx, id); err != nil {
		return err
	}
	return s.sessions.DeleteUserSessions(ctx, id, "")
}

// checkTenant refuses a tenant that does not exist (0 is the default one).
func (s *Service) checkTenant(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	_, err := s.tenants.GetTenant(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("tenant_id %d does not exist", id)
	}
	return err
}

func changes(to *bool, from bool) bool { return to != nil && *to != from }

// Apply sets the fields ch names on u.
func (ch Change) Apply(u *store.User) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.Name, ch.Name)
	set(&u.Email, ch.Email)
	set(&u.Mobile, ch.Mobile)
	set(&u.Tel, ch.Tel)
	set(&u.ExtnID, ch.ExtnID)
	set(&u.Type, ch.Type)
	set(&u.Domain, ch.Domain)
	set(&u.Context, ch.Context)
	if ch.IsSuper != nil {
		u.IsSuper = *ch.IsSuper
	}
	if ch.Disabled != nil {
		u.Disabled = *ch.Disabled
	}
	if ch.TenantID != nil {
		u.TenantID = *ch.TenantID
	}
}

func validateUser(u store.User) error {
	if u.Type != "" && u.Type != store.UserTypeNormal && u.Type != store.UserTypeAgent {
		return invalid("type must be NORMAL or AGENT")
	}
	fields := []struct{ name, value string }{{"name", u.Name}, {"email", u.Email}, {"mobile", u.Mobile},
		{"tel", u.Tel}, {"extn_id", u.ExtnID}, {"domain", u.Domain}, {"context", u.Context}}
	for _, f := range fields {
		if len(f.value) > maxFieldLen {
			return invalid("%s is longer than %d bytes", f.name, maxFieldLen)
		}
	}
	return nil
}

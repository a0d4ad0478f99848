package account

import (
	"context"
	"errors"

	"xtraauth/fault"
	"xtraauth/store"
)

// ErrWrongOldPassword refuses a password change whose old_password is wrong.
var ErrWrongOldPassword = fault.New(fault.Forbidden, "Wrong Old Password")

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
	// RevokeDevKeys asks that one's own password change also revoke one's
	// dev_keys; an admin's reset of someone else's password always does.
	RevokeDevKeys bool
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
// the last with their old password, checked behind the gate. A new password
// ends the user's other sessions (all of them when an admin resets someone
// else's) and revokes their dev_keys when an admin resets it or the user
// asks. Sessions and keys go after the password is written; a failure
// there reaches the caller, who can repeat the change.
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
			Password: ch.Password, OldPassword: ch.OldPassword, CaptchaID: ch.CaptchaID, CaptchaAnswer: ch.CaptchaAnswer,
			RevokeDevKeys: ch.RevokeDevKeys}
	}
	if ch.RevokeDevKeys && (ch.Password == nil || *ch.Password == "") {
		return store.User{}, invalid("revoke_dev_keys goes with a new password")
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
	ended := s.endAccess(ctx, actor, current, updated, hash != "", ch.RevokeDevKeys)
	recorded := s.recordUpdate(WithOrigin(ctx, Origin{Login: actor.User.Login, Address: actor.Address}), current, updated, hash != "")
	return updated, errors.Join(ended, recorded)
}

// endAccess ends what a change from before to after takes away: sessions
// (Redis) and dev_keys (SQL), each tried even if the other fails.
func (s *Service) endAccess(ctx context.Context, actor Actor, before, after store.User, newPassword, revokeKeys bool) error {
	self := actor.User.ID == after.ID
	var ended, revoked error
	switch {
	case after.Disabled || (newPassword && !self) || store.IdentityOf(after) != store.IdentityOf(before):
		// Sessions carry the identity, so a change of it ends them, as
		// disabling and someone else's reset do.
		ended = s.sessions.DeleteUserSessions(ctx, after.ID, "")
	case newPassword:
		ended = s.sessions.DeleteUserSessions(ctx, after.ID, actor.SessionDigest)
	}
	if newPassword && (!self || revokeKeys) {
		_, revoked = s.devKeys.DeleteUserDevKeys(ctx, after.ID)
	}
	return errors.Join(ended, revoked)
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

// SetPassword is an operator's reset: like an admin's, it ends all the
// user's sessions and revokes their dev_keys.
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
	u, err := s.users.GetUserByLogin(ctx, login)
	if err != nil {
		return err
	}
	if _, err = s.devKeys.DeleteUserDevKeys(ctx, u.ID); err != nil {
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

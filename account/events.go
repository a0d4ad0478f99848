package account

import (
	"context"
	"errors"

	"xtraauth/store"
)

// Audit kinds of changes to accounts, which notifications tell their
// owners about.
const (
	AuditDevKeyCreated   = "dev_key_created"
	AuditDevKeyRevoked   = "dev_key_revoked"
	AuditPasswordChanged = "password_changed"
	AuditUserDisabled    = "user_disabled"
)

// Origin is who asks for a change and from where, for the audit trail: an
// admin's or the user's login and client address, or "cli".
type Origin struct {
	Login   string
	Address string
}

type originKey struct{}

// WithOrigin tells the changes made with ctx who makes them.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

func originOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// record writes an audit row about login's account. A nil Audit (tests
// that build the service alone) records nothing.
func (s *Service) record(ctx context.Context, login, kind, outcome string) error {
	if s.audit == nil {
		return nil
	}
	o := originOf(ctx)
	if o.Login != "" {
		outcome += " by " + o.Login
	}
	return s.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: s.now().UTC(), Subject: Key(login), Address: o.Address, Kind: kind, Outcome: outcome,
	})
}

// recordFor is record for a user known by id.
func (s *Service) recordFor(ctx context.Context, userID int64, kind, outcome string) error {
	if s.audit == nil {
		return nil
	}
	u, err := s.users.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.record(ctx, u.Login, kind, outcome)
}

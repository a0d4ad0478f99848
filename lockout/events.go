package lockout

import (
	"context"
	"fmt"

	"xtraauth/store"
)

// AuditSpraying is the audit kind of an address reaching the per-address
// password-failure threshold, recorded once per window whatever the
// captcha setting, for the alerts of notifications.
const AuditSpraying = "spraying"

// recordSpraying audits the failure that brings an address's count to the
// threshold: the counter is atomic, so exactly one failure per window, in
// whichever process, sees that count.
func (l *Lockout) recordSpraying(ctx context.Context, address string, failures int64) error {
	if l.cfg.AddressFailures == 0 || failures != int64(l.cfg.AddressFailures) {
		return nil
	}
	return l.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: l.now().UTC(), Subject: "address:" + address, Address: address, Kind: AuditSpraying,
		Outcome: fmt.Sprintf("%d password failures within %s", failures, l.cfg.AddressWindow),
	})
}

// Locked reports whether a login is locked now.
func (l *Lockout) Locked(ctx context.Context, login string) (bool, error) {
	st, err := l.counters.State(ctx, userKey(login))
	return st.LockedUntil != nil, err
}

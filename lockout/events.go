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

// sprayNS counts password failures per address for the spraying alert,
// in fixed windows, whatever the captcha setting (the address count of
// the captcha exists only while captchas are on, and is counted in advance).
const sprayNS = "spray:"

// recordSpraying counts a password failure from address and audits the one
// that brings the address to the threshold: the counter is atomic, so
// exactly one failure per window, in whichever process, sees that count.
func (l *Lockout) recordSpraying(ctx context.Context, address string) error {
	if l.cfg.AddressFailures == 0 {
		return nil
	}
	n, err := l.counters.Hit(ctx, sprayNS+address, l.cfg.AddressWindow)
	if err != nil || n != int64(l.cfg.AddressFailures) {
		return err
	}
	return l.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: l.now().UTC(), Subject: "address:" + address, Address: address, Kind: AuditSpraying,
		Outcome: fmt.Sprintf("%d password failures within %s", n, l.cfg.AddressWindow),
	})
}

// Locked reports whether a login is locked now.
func (l *Lockout) Locked(ctx context.Context, login string) (bool, error) {
	st, err := l.counters.State(ctx, userKey(login))
	return st.LockedFor > 0, err
}

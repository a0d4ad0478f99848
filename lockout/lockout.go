// Package lockout is the gate in front of every secret check. Before a
// password is looked at, one atomic step in the store checks the login's
// lock, asks for a captcha past the failure threshold, and counts the
// attempt as a failure in advance; a good password then resets the count.
// Counting before checking is what keeps N simultaneous attempts from all
// being checked: at most CaptchaAfter get through without a captcha and at
// most LockAfter in all before the lock.
//
// Unknown logins are counted like known ones, so the answers do not tell
// which logins exist. Wrong dev_keys are counted per client address, never
// per login, so junk keys cannot lock a person out. Password failures are
// also counted per address: past AddressFailures in AddressWindow every
// password login from that address needs a captcha (password spraying).
// Every failure, captcha asked, lock and unlock is an audit event.
package lockout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"xtraauth/account"
	"xtraauth/captcha"
	"xtraauth/store"
)

// Refusals of the gate; handlers map them to their front door's body.
var (
	ErrCaptchaRequired = errors.New("captcha required")
	ErrWrongCaptcha    = errors.New("wrong captcha")
)

// LockedError refuses an attempt on a locked login or address.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string { return fmt.Sprintf("locked for %s", e.RetryAfter) }

// RetryAfterSeconds rounds up, so a client that waits that long is let in.
func (e *LockedError) RetryAfterSeconds() int64 {
	return int64((e.RetryAfter + time.Second - 1) / time.Second)
}

// Config holds the thresholds. Zero CaptchaAfter or LockAfter turns that stage off.
type Config struct {
	CaptchaAfter    int
	LockAfter       int
	LockFor         time.Duration
	AddressFailures int           // password failures from one address that make it need captchas
	AddressWindow   time.Duration // in this window
	DevKeyFailures  int           // wrong dev_keys from one address that block it
	DevKeyBlock     time.Duration // for this long
}

// DefaultConfig is the contract's: captcha after 2, lock after 5 for 2h,
// 20 per address in 10 minutes.
var DefaultConfig = Config{
	CaptchaAfter: 2, LockAfter: 5, LockFor: 2 * time.Hour,
	AddressFailures: 20, AddressWindow: 10 * time.Minute,
	DevKeyFailures: 20, DevKeyBlock: 10 * time.Minute,
}

// Lockout implements account.Gate.
type Lockout struct {
	cfg      Config
	counters store.Counters
	captchas *captcha.Service
	audit    store.Audit
	now      func() time.Time
	onLock   func() // told of every lock taken, for metrics
}

var _ account.Gate = (*Lockout)(nil)

// OnLock sets a function told of every lock an attempt takes.
func (l *Lockout) OnLock(f func()) { l.onLock = f }

// New makes a Lockout on its slices of the stores.
func New(cfg Config, counters store.Counters, captchas *captcha.Service, audit store.Audit, now func() time.Time) *Lockout {
	return &Lockout{cfg: cfg, counters: counters, captchas: captchas, audit: audit, now: now}
}

// Counter keys, by namespace: users, wrong dev_keys of an address, password
// failures of an address.
const (
	userNS         = "u:"
	clientNS       = "c:"
	devKeyAddrNS   = "dk:"
	passwordAddrNS = "pw:"
	captchaAddrNS  = "cap:"
)

// Captchas one address may make per minute.
const captchasPerMinute = 60

// AllowCaptcha counts one captcha made by address and refuses past the
// per-minute limit.
func (l *Lockout) AllowCaptcha(ctx context.Context, address string) error {
	n, err := l.counters.Hit(ctx, captchaAddrNS+address, time.Minute)
	if err != nil {
		return err
	}
	if n > captchasPerMinute {
		return &LockedError{RetryAfter: time.Minute}
	}
	return nil
}

func userKey(login string) string { return userNS + account.Key(login) }

func (l *Lockout) policy() store.AttemptPolicy {
	return store.AttemptPolicy{CaptchaAfter: l.cfg.CaptchaAfter, LockAfter: l.cfg.LockAfter, LockFor: l.cfg.LockFor}
}

func (l *Lockout) devKeyPolicy() store.AttemptPolicy {
	return store.AttemptPolicy{LockAfter: l.cfg.DevKeyFailures, LockFor: l.cfg.DevKeyBlock}
}

// Enter checks the lock, then the captcha when one is needed, and counts
// the attempt; a captcha sent along while locked is not used up.
func (l *Lockout) Enter(ctx context.Context, a account.Attempt) error {
	key := userKey(a.Login)
	res, err := l.firstTry(ctx, key, a.Address)
	if err != nil {
		return err
	}
	if res.Status == store.AttemptCaptchaNeeded {
		if err := l.solve(ctx, a); err != nil {
			return err
		}
		if res, err = l.counters.Attempt(ctx, key, l.policy(), true); err != nil {
			return err
		}
	}
	if res.Status == store.AttemptLocked {
		return &LockedError{RetryAfter: res.RetryAfter}
	}
	if l.cfg.LockAfter > 0 && res.Failures == l.cfg.LockAfter {
		// This attempt locked the login. The store counts atomically, so
		// exactly one attempt per lock gets here, in whichever process; the
		// lock holds from now on (even if this password turns out right
		// and the good login lifts it).
		if l.onLock != nil {
			l.onLock()
		}
		return l.record(ctx, a, "lock", "locked until "+l.now().Add(l.cfg.LockFor).UTC().Format(time.RFC3339))
	}
	return nil
}

// firstTry counts the attempt unless a captcha is needed first: for the
// login (decided atomically in the store) or for a spraying address.
func (l *Lockout) firstTry(ctx context.Context, key, address string) (store.AttemptResult, error) {
	spraying, err := l.addressNeedsCaptcha(ctx, address)
	if err != nil {
		return store.AttemptResult{}, err
	}
	if !spraying {
		return l.counters.Attempt(ctx, key, l.policy(), false)
	}
	st, err := l.counters.State(ctx, key)
	if err != nil {
		return store.AttemptResult{}, err
	}
	if st.LockedUntil != nil {
		return store.AttemptResult{Status: store.AttemptLocked, RetryAfter: time.Until(*st.LockedUntil)}, nil
	}
	return store.AttemptResult{Status: store.AttemptCaptchaNeeded}, nil
}

func (l *Lockout) addressNeedsCaptcha(ctx context.Context, address string) (bool, error) {
	if l.cfg.CaptchaAfter == 0 || l.cfg.AddressFailures == 0 {
		return false, nil
	}
	n, err := l.counters.Hits(ctx, passwordAddrNS+address)
	return n >= int64(l.cfg.AddressFailures), err
}

// solve uses up the attempt's captcha; neither refusal counts as a failure.
func (l *Lockout) solve(ctx context.Context, a account.Attempt) error {
	if a.CaptchaAnswer == "" {
		return errors.Join(ErrCaptchaRequired, l.record(ctx, a, "captcha", "required"))
	}
	ok, err := l.captchas.Check(ctx, a.CaptchaID, a.CaptchaAnswer,
		captcha.LoginBinding(account.Key(a.Login)), captcha.AddressBinding(a.Address))
	if err != nil {
		return err
	}
	if !ok {
		return errors.Join(ErrWrongCaptcha, l.record(ctx, a, "captcha", "wrong"))
	}
	return nil
}

// Cancel takes back an attempt whose password was never checked. It is
// best effort: the count then errs on the safe side.
func (l *Lockout) Cancel(ctx context.Context, a account.Attempt) {
	_ = l.counters.Refund(ctx, userKey(a.Login), l.policy())
}

// Finish resets the login on a good password; a failure was counted (and
// a lock it caused recorded) on entry, so here it is only added to the
// address and the audit.
func (l *Lockout) Finish(ctx context.Context, a account.Attempt, ok bool) error {
	if ok {
		return l.counters.Reset(ctx, userKey(a.Login))
	}
	n, err := l.counters.Hit(ctx, passwordAddrNS+a.Address, l.cfg.AddressWindow)
	if err != nil {
		return err
	}
	if err := l.recordSpraying(ctx, a.Address, n); err != nil {
		return err
	}
	return l.record(ctx, a, "password", "failure")
}

// EnterDevKey refuses addresses that sent too many wrong dev_keys; the
// attempt is counted in advance and refunded when the key is right.
func (l *Lockout) EnterDevKey(ctx context.Context, a account.Attempt) error {
	if l.cfg.DevKeyFailures == 0 {
		return nil
	}
	res, err := l.counters.Attempt(ctx, devKeyAddrNS+a.Address, l.devKeyPolicy(), true)
	if err != nil {
		return err
	}
	if res.Status == store.AttemptLocked {
		return &LockedError{RetryAfter: res.RetryAfter}
	}
	return nil
}

// FinishDevKey records a wrong dev_key, or refunds a right one's count.
func (l *Lockout) FinishDevKey(ctx context.Context, a account.Attempt, ok bool) error {
	if ok {
		if l.cfg.DevKeyFailures == 0 {
			return nil
		}
		return l.counters.Refund(ctx, devKeyAddrNS+a.Address, l.devKeyPolicy())
	}
	return l.record(ctx, a, "dev_key", "failure")
}

func (l *Lockout) record(ctx context.Context, a account.Attempt, kind, outcome string) error {
	return l.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: l.now().UTC(), Subject: account.Key(a.Login), Address: a.Address, Kind: kind, Outcome: outcome,
	})
}

// EnterClient checks and counts an OAuth client's secret attempt under the
// client's own namespace. Clients never get a captcha (programs cannot
// solve them); a locked client is refused.
func (l *Lockout) EnterClient(ctx context.Context, clientID, address string) error {
	res, err := l.counters.Attempt(ctx, clientNS+clientID, l.policy(), true)
	if err != nil {
		return err
	}
	if res.Status == store.AttemptLocked {
		return &LockedError{RetryAfter: res.RetryAfter}
	}
	return nil
}

// FinishClient resets the client on a right secret, audits a wrong one.
func (l *Lockout) FinishClient(ctx context.Context, clientID, address string, ok bool) error {
	if ok {
		return l.counters.Reset(ctx, clientNS+clientID)
	}
	return l.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: l.now().UTC(), Subject: "client:" + clientID, Address: address, Kind: "client_secret", Outcome: "failure",
	})
}

// Entry is one login (or address) with failures, for admins.
type Entry struct {
	Name            string
	Failures        int
	CaptchaRequired bool
	LockedUntil     *time.Time
}

// List reports every login with failures or a lock, every OAuth client
// (named "client:" + its id) and every address blocked for wrong dev_keys
// (named "address:" + the address).
func (l *Lockout) List(ctx context.Context) ([]Entry, error) {
	states, err := l.counters.ListStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(states))
	for _, st := range states {
		name, ok := displayName(st.Key)
		if !ok {
			continue
		}
		out = append(out, Entry{
			Name: name, Failures: st.Failures, LockedUntil: st.LockedUntil,
			CaptchaRequired: strings.HasPrefix(st.Key, userNS) && l.cfg.CaptchaAfter > 0 && st.Failures >= l.cfg.CaptchaAfter,
		})
	}
	return out, nil
}

func displayName(key string) (string, bool) {
	switch {
	case strings.HasPrefix(key, userNS):
		return strings.TrimPrefix(key, userNS), true
	case strings.HasPrefix(key, devKeyAddrNS):
		return "address:" + strings.TrimPrefix(key, devKeyAddrNS), true
	case strings.HasPrefix(key, clientNS):
		return "client:" + strings.TrimPrefix(key, clientNS), true
	}
	return "", false
}

// Unlock clears a login's (or a "client:" or "address:" entry's) failures
// and lock, and records who did it.
func (l *Lockout) Unlock(ctx context.Context, name, by string) error {
	key := userKey(name)
	if addr, ok := strings.CutPrefix(name, "address:"); ok {
		key = devKeyAddrNS + addr
	} else if id, ok := strings.CutPrefix(name, "client:"); ok {
		key = clientNS + id
	}
	if err := l.counters.Reset(ctx, key); err != nil {
		return err
	}
	subject, _ := displayName(key)
	return l.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: l.now().UTC(), Subject: subject, Kind: "unlock", Outcome: "by " + by,
	})
}

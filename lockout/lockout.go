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
	"net/netip"
	"strings"
	"time"

	"xtraauth/account"
	"xtraauth/captcha"
	"xtraauth/fault"
	"xtraauth/store"
)

// Refusals of the gate; each front door renders them in its shape.
var (
	ErrCaptchaRequired = fault.New(fault.Captcha, "Captcha Required")
	ErrWrongCaptcha    = fault.New(fault.Captcha, "Wrong Captcha")
)

// LockedError refuses an attempt on a locked login or address.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string             { return fmt.Sprintf("locked for %s", e.RetryAfter) }
func (e *LockedError) Kind() fault.Kind          { return fault.Locked }
func (e *LockedError) Public() string            { return "Too Many Failed Attempts" }
func (e *LockedError) TryAgainIn() time.Duration { return e.RetryAfter }

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
	ClientCeiling   int           // wrong secrets of one client that lock it for unknown addresses
	KnownFor        time.Duration // how long an address that presented a client's right secret is known
}

// DefaultConfig is the contract's: captcha after 2, lock after 5 for 2h,
// 20 per address in 10 minutes; a client locked for strangers after 50.
var DefaultConfig = Config{
	CaptchaAfter: 2, LockAfter: 5, LockFor: 2 * time.Hour,
	AddressFailures: 20, AddressWindow: 10 * time.Minute,
	DevKeyFailures: 20, DevKeyBlock: 10 * time.Minute,
	ClientCeiling: 50, KnownFor: 30 * 24 * time.Hour,
}

// Lockout implements account.Gate.
type Lockout struct {
	cfg      Config
	counters store.Counters
	captchas *captcha.Service
	audit    store.AuditWriter
	now      func() time.Time
	onLock   func() // told of every lock taken, for metrics
}

var _ account.Gate = (*Lockout)(nil)

// OnLock sets a function told of every lock an attempt takes.
func (l *Lockout) OnLock(f func()) { l.onLock = f }

// New makes a Lockout on its slices of the stores.
func New(cfg Config, counters store.Counters, captchas *captcha.Service, audit store.AuditWriter, now func() time.Time) *Lockout {
	return &Lockout{cfg: cfg, counters: counters, captchas: captchas, audit: audit, now: now}
}

// Counter keys, by namespace: users, wrong dev_keys of an address, password
// failures of an address.
const (
	userNS         = "u:"
	clientNS       = "c:"
	clientAddrNS   = "ca:"
	clientKnownNS  = "ck:"
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
		return fault.After(fault.RateLimited, "Too Many Requests", time.Minute)
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
// the attempt in advance, against the login and against the address; a
// captcha sent along while locked is not used up.
func (l *Lockout) Enter(ctx context.Context, a account.Attempt) error {
	// Counts taken in two steps must both stand or both be taken back,
	// even if the client hangs up in between.
	ctx = context.WithoutCancel(ctx)
	res, err := l.count(ctx, a, false)
	if err == nil && res.Status == store.AttemptCaptchaNeeded {
		if err = l.solve(ctx, a); err == nil {
			res, err = l.count(ctx, a, true)
		}
	}
	if err != nil {
		return err
	}
	if res.Status == store.AttemptLocked {
		return &LockedError{RetryAfter: res.RetryAfter}
	}
	if res.TookLock {
		// The store counts atomically, so exactly one attempt per lock gets
		// here, in whichever process; the lock holds from now on (even if
		// this password turns out right and the good login lifts it).
		if l.onLock != nil {
			l.onLock()
		}
		return l.record(ctx, a, "lock", "locked until "+l.now().Add(l.cfg.LockFor).UTC().Format(time.RFC3339))
	}
	return nil
}

// count takes one attempt's failure in advance, atomically in each count:
// first the address's (password spraying: past AddressFailures every
// attempt from it needs a captcha), then the login's. It counts in both or
// in neither; the login's lock is answered before any captcha.
func (l *Lockout) count(ctx context.Context, a account.Attempt, captchaSolved bool) (store.AttemptResult, error) {
	key := userKey(a.Login)
	if l.countsAddresses() {
		res, err := l.counters.Attempt(ctx, passwordAddrNS+a.Address, l.addressPolicy(), captchaSolved)
		if err != nil {
			return res, err
		}
		if res.Status != store.AttemptProceed {
			return l.lockedOr(ctx, key, res)
		}
	}
	res, err := l.counters.Attempt(ctx, key, l.policy(), captchaSolved)
	if err == nil && res.Status != store.AttemptProceed && l.countsAddresses() {
		l.refundAddress(ctx, a)
	}
	return res, err
}

// lockedOr answers the login's lock, if it has one, else res.
func (l *Lockout) lockedOr(ctx context.Context, key string, res store.AttemptResult) (store.AttemptResult, error) {
	st, err := l.counters.State(ctx, key)
	if err != nil {
		return res, err
	}
	if st.LockedFor > 0 {
		return store.AttemptResult{Status: store.AttemptLocked, Failures: st.Failures, RetryAfter: st.LockedFor}, nil
	}
	return res, nil
}

func (l *Lockout) countsAddresses() bool { return l.cfg.CaptchaAfter > 0 && l.cfg.AddressFailures > 0 }

// addressPolicy asks a captcha of an address past AddressFailures and
// never locks it; its failures expire AddressWindow after the last one.
func (l *Lockout) addressPolicy() store.AttemptPolicy {
	return store.AttemptPolicy{CaptchaAfter: l.cfg.AddressFailures, LockFor: l.cfg.AddressWindow}
}

// refundAddress takes back an address's count of an attempt that was no
// failure; best effort: the count then errs on the safe side.
func (l *Lockout) refundAddress(ctx context.Context, a account.Attempt) {
	_ = l.counters.Refund(ctx, passwordAddrNS+a.Address, l.addressPolicy())
}

// solve uses up the attempt's captcha; neither refusal counts as a failure.
func (l *Lockout) solve(ctx context.Context, a account.Attempt) error {
	if a.CaptchaAnswer == "" {
		return errors.Join(ErrCaptchaRequired, l.recordCaptcha(ctx, a, "required"))
	}
	ok, err := l.captchas.Check(ctx, a.CaptchaID, a.CaptchaAnswer, a.Address,
		captcha.LoginBinding(account.Key(a.Login)), captcha.AddressBinding(a.Address))
	if err != nil {
		return err
	}
	if !ok {
		return errors.Join(ErrWrongCaptcha, l.recordCaptcha(ctx, a, "wrong"))
	}
	return nil
}

func (l *Lockout) recordCaptcha(ctx context.Context, a account.Attempt, outcome string) error {
	return l.recordCheap(ctx, store.AuditEvent{Subject: account.Key(a.Login), Address: a.Address, Kind: "captcha", Outcome: outcome})
}

// Cancel takes back an attempt whose password was never checked. It is
// best effort: the count then errs on the safe side.
func (l *Lockout) Cancel(ctx context.Context, a account.Attempt) {
	_ = l.counters.Refund(ctx, userKey(a.Login), l.policy())
	if l.countsAddresses() {
		l.refundAddress(ctx, a)
	}
}

// Finish resets the login on a good password and takes back the address's
// count; a failure was counted (and a lock it caused recorded) on entry, so
// here it is only recorded.
func (l *Lockout) Finish(ctx context.Context, a account.Attempt, ok bool) error {
	if !ok {
		if err := l.recordSpraying(ctx, a.Address); err != nil {
			return err
		}
		return l.record(ctx, a, "password", "failure")
	}
	if l.countsAddresses() {
		l.refundAddress(ctx, a)
	}
	return l.counters.Reset(ctx, userKey(a.Login))
}

// EnterDevKey refuses an address blocked for wrong dev_keys. Nothing is
// counted here: a dev_key costs one SHA-256 to check, so it is checked
// first and only a wrong one counts (FinishDevKey).
func (l *Lockout) EnterDevKey(ctx context.Context, a account.Attempt) error {
	if l.cfg.DevKeyFailures == 0 {
		return nil
	}
	return l.refuseLocked(ctx, devKeyAddrNS+a.Address)
}

// FinishDevKey counts a wrong dev_key against the address, blocking it at
// the threshold, and records it.
func (l *Lockout) FinishDevKey(ctx context.Context, a account.Attempt, ok bool) error {
	if ok {
		return nil
	}
	if l.cfg.DevKeyFailures > 0 {
		if _, err := l.counters.Attempt(ctx, devKeyAddrNS+a.Address, l.devKeyPolicy(), true); err != nil {
			return err
		}
	}
	return l.record(ctx, a, "dev_key", "failure")
}

// refuseLocked answers a LockedError while key is locked.
func (l *Lockout) refuseLocked(ctx context.Context, key string) error {
	st, err := l.counters.State(ctx, key)
	if err != nil {
		return err
	}
	if st.LockedFor > 0 {
		return &LockedError{RetryAfter: st.LockedFor}
	}
	return nil
}

func (l *Lockout) record(ctx context.Context, a account.Attempt, kind, outcome string) error {
	subject := account.Key(a.Login)
	if subject == "" { // a dev_key used as a token names no login
		subject = "address:" + a.Address
	}
	return l.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: l.now().UTC(), Subject: subject, Address: a.Address, Kind: kind, Outcome: outcome,
	})
}

// Audit rows that cost an attacker nothing (a captcha refused, a wrong
// secret for a client id of their choosing) are rate-limited: at most one
// a minute per subject, kind and outcome, and at most cheapRowsPerAddress
// a minute per address. /metrics still counts every refusal.
const cheapRowsPerAddress = 20

// recordCheap records an event of a kind anyone can cause for free, within
// the limits above.
func (l *Lockout) recordCheap(ctx context.Context, e store.AuditEvent) error {
	n, err := l.counters.Hit(ctx, "audit:"+e.Kind+"|"+e.Outcome+"|"+e.Subject, time.Minute)
	if err != nil || n > 1 {
		return err
	}
	if n, err = l.counters.Hit(ctx, "audit-address:"+e.Address, time.Minute); err != nil || n > cheapRowsPerAddress {
		return err
	}
	e.At = l.now().UTC()
	return l.audit.AddAuditEvent(ctx, e)
}

// EnterClient refuses an OAuth client's secret attempt while the client is
// locked for this address. Nothing is counted here: a client secret costs
// one SHA-256 to check, so it is checked first and only a wrong one counts
// (FinishClient). Clients never get a captcha (programs cannot solve them).
//
// Client ids are not secret, so wrong secrets are counted twice: per client
// and address, locking that address out of that client at LockAfter; and
// per client, locking it at ClientCeiling — but only for addresses that
// have not presented the right secret within KnownFor. So nobody can lock a
// client's own callers out by sending junk secrets for its id.
// It returns the failures counted against the client from the address,
// for FinishClient.
func (l *Lockout) EnterClient(ctx context.Context, clientID, address string) (failures int, err error) {
	states, err := l.counters.States(ctx, []string{clientNS + clientID, clientAddrKey(clientID, address)})
	if err != nil {
		return 0, err
	}
	all, here := states[0], states[1]
	if here.LockedFor > 0 {
		return 0, &LockedError{RetryAfter: here.LockedFor}
	}
	if all.LockedFor == 0 {
		return here.Failures, nil
	}
	known, err := l.counters.Hits(ctx, clientKnownNS+clientAddrSuffix(clientID, address))
	if err != nil || known > 0 {
		return here.Failures, err
	}
	return 0, &LockedError{RetryAfter: all.LockedFor}
}

// FinishClient remembers the address of a right secret and clears its
// failures (if EnterClient saw any), or counts and records a wrong one.
func (l *Lockout) FinishClient(ctx context.Context, clientID, address string, failures int, ok bool) error {
	here := clientAddrKey(clientID, address)
	if ok {
		if _, err := l.counters.Hit(ctx, clientKnownNS+clientAddrSuffix(clientID, address), l.cfg.KnownFor); err != nil || failures == 0 {
			return err
		}
		return l.counters.Reset(ctx, here)
	}
	if _, err := l.counters.Attempt(ctx, here, l.policy(), true); err != nil {
		return err
	}
	ceiling := store.AttemptPolicy{LockAfter: l.cfg.ClientCeiling, LockFor: l.cfg.LockFor}
	if _, err := l.counters.Attempt(ctx, clientNS+clientID, ceiling, true); err != nil {
		return err
	}
	return l.recordCheap(ctx, store.AuditEvent{Subject: "client:" + clientID, Address: address, Kind: "client_secret", Outcome: "failure"})
}

// clientAddrSuffix joins a client id and an address; an address never
// holds an '@', so the last one splits them again.
func clientAddrSuffix(clientID, address string) string { return clientID + "@" + address }

func clientAddrKey(clientID, address string) string {
	return clientAddrNS + clientAddrSuffix(clientID, address)
}

// Entry is one login (or address) with failures, for admins.
type Entry struct {
	Name            string
	Failures        int
	CaptchaRequired bool
	LockedUntil     *time.Time
}

// List reports every login with failures or a lock, every OAuth client
// (named "client:" + its id, or "client:ID@ADDRESS" for its count from one
// address) and every address blocked for wrong dev_keys ("address:" + the
// address).
func (l *Lockout) List(ctx context.Context) ([]Entry, error) {
	states, err := l.counters.ListStates(ctx)
	if err != nil {
		return nil, err
	}
	now := l.now().UTC()
	out := make([]Entry, 0, len(states))
	for _, st := range states {
		name, ok := displayName(st.Key)
		if !ok {
			continue
		}
		e := Entry{Name: name, Failures: st.Failures,
			CaptchaRequired: strings.HasPrefix(st.Key, userNS) && l.cfg.CaptchaAfter > 0 && st.Failures >= l.cfg.CaptchaAfter}
		if st.LockedFor > 0 {
			until := now.Add(st.LockedFor)
			e.LockedUntil = &until
		}
		out = append(out, e)
	}
	return out, nil
}

// displayNames maps counter namespaces to the names admins see.
var displayNames = []struct{ ns, name string }{
	{userNS, ""}, {devKeyAddrNS, "address:"}, {clientAddrNS, "client:"}, {clientNS, "client:"},
}

func displayName(key string) (string, bool) {
	for _, d := range displayNames {
		if rest, ok := strings.CutPrefix(key, d.ns); ok {
			return d.name + rest, true
		}
	}
	return "", false
}

// keyOf is the inverse of displayName.
func keyOf(name string) string {
	if addr, ok := strings.CutPrefix(name, "address:"); ok {
		return devKeyAddrNS + addr
	}
	id, ok := strings.CutPrefix(name, "client:")
	if !ok {
		return userKey(name)
	}
	if i := strings.LastIndexByte(id, '@'); i >= 0 && isAddress(id[i+1:]) {
		return clientAddrNS + id
	}
	return clientNS + id
}

// isAddress tells a grouped client address (see clientaddr) from the rest
// of a client id that holds an '@'.
func isAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil || s == "unknown"
}

// Unlock clears a login's (or a "client:" or "address:" entry's) failures
// and lock, and records who did it.
func (l *Lockout) Unlock(ctx context.Context, name, by string) error {
	key := keyOf(name)
	if err := l.counters.Reset(ctx, key); err != nil {
		return err
	}
	if id, ok := strings.CutPrefix(key, clientNS); ok {
		if err := l.unlockClientAddresses(ctx, id); err != nil {
			return err
		}
	}
	subject, _ := displayName(key)
	return l.audit.AddAuditEvent(ctx, store.AuditEvent{
		At: l.now().UTC(), Subject: subject, Kind: "unlock", Outcome: "by " + by,
	})
}

// unlockClientAddresses clears a client's counts from single addresses too:
// unlocking a client lets all its callers in.
func (l *Lockout) unlockClientAddresses(ctx context.Context, clientID string) error {
	states, err := l.counters.ListStates(ctx)
	if err != nil {
		return err
	}
	prefix := clientAddrNS + clientID + "@"
	for _, st := range states {
		if rest, ok := strings.CutPrefix(st.Key, prefix); ok && !strings.Contains(rest, "@") {
			if err := l.counters.Reset(ctx, st.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

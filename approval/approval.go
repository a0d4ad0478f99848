// Package approval runs the requests that need an enabled super admin's
// decision: self-service unlocks and (when turned on) users' own dev_keys.
//
// A request is a row in SQL. On DingTalk or Feishu it becomes an approval
// instance, opened by the process holding the worker's lease; decisions
// made there come back by polling (every process polls) and by Feishu's
// event callback, decisions made in the web page are mirrored to the
// instance. Every change of state is a compare-and-set in one SQL
// transaction with its audit row, so a decision is applied exactly once
// however many processes race to apply it. What a decision still owes —
// mirroring it, lifting the lock — is flagged on the row and retried by
// the worker until done. An approved dev_key is made at claim time and
// shown then only; its digest alone is stored.
package approval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"xtraauth/account"
	"xtraauth/fault"
	"xtraauth/store"
)

// Refusals a caller can cause.
var (
	ErrOff            = fault.New(fault.NotFound, "Not Found") // approvals of this kind are not turned on
	ErrAlreadyDecided = fault.New(fault.Conflict, "Already Decided")
	ErrAlreadyClaimed = fault.New(fault.Conflict, "Already Claimed")
	ErrExpired        = fault.New(fault.Conflict, "Expired")
	ErrNotApproved    = fault.New(fault.Conflict, "Not Approved")
	ErrNothingToClaim = fault.New(fault.Conflict, "Nothing To Claim")
	ErrOwnRequest     = fault.New(fault.Forbidden, "Cannot Decide Own Request")
)

// RateLimitedError refuses an unlock request past the per-address limit.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string             { return "too many unlock requests" }
func (e *RateLimitedError) Kind() fault.Kind          { return fault.RateLimited }
func (e *RateLimitedError) Public() string            { return "Too Many Requests" }
func (e *RateLimitedError) TryAgainIn() time.Duration { return e.RetryAfter }

// Limits.
const (
	ClaimWithin        = 24 * time.Hour // an approved dev_key is claimed within this
	UnlockRequestLimit = 5              // unlock requests per address and hour
	maxReason          = 255
	asyncTimeout       = 30 * time.Second
)

// Audit kinds of approvals.
const (
	AuditApproval = "approval"
	AuditIgnored  = "approval_ignored"
)

// Platform names besides those of Platform implementations.
const Web = "web"

// Store is the state approvals keep.
type Store interface {
	store.Approvals
	store.IntegrationStatuses
}

// Users finds requesters and admins.
type Users interface {
	GetUser(ctx context.Context, id int64) (store.User, error)
	GetUserByLogin(ctx context.Context, login string) (store.User, error)
	ListUsers(ctx context.Context, f store.UserFilter) ([]store.User, int, error)
}

// Locks reads and lifts logins' locks (the lockout).
type Locks interface {
	Locked(ctx context.Context, login string) (bool, error)
	Unlock(ctx context.Context, name, by string) error
}

// Keys mints dev_keys (the account service).
type Keys interface {
	MintDevKey(userID int64, label string) (account.NewDevKey, error)
}

// Counter counts unlock requests per address in a fixed window.
type Counter interface {
	Hit(ctx context.Context, key string, window time.Duration) (int64, error)
}

// Leader tells whether this process holds the worker's lease.
type Leader interface {
	Held(ctx context.Context) (bool, error)
}

// Metrics counts approvals by kind and outcome.
type Metrics interface {
	Approval(kind, outcome string)
}

// Deps are what the service works on.
type Deps struct {
	Store    Store
	Users    Users
	Locks    Locks
	Keys     Keys
	Counter  Counter
	Platform Platform // nil: decisions are made in the web page only
	Lease    Leader
	Kinds    []string      // what needs approval: store.ApprovalUnlock, store.ApprovalDevKey
	Retry    time.Duration // how long a failed platform call waits to be tried again
	Now      func() time.Time
	Metrics  Metrics
	Log      *slog.Logger
}

// Service runs approvals.
type Service struct {
	d     Deps
	async sync.WaitGroup

	mu      sync.Mutex
	retryAt map[int64]time.Time // approvals whose platform call failed
	ready   bool                // the platform's template or definition exists
}

// New makes a Service.
func New(d Deps) *Service { return &Service{d: d, retryAt: map[int64]time.Time{}} }

// Enabled reports whether kind needs an admin's approval.
func (s *Service) Enabled(kind string) bool { return slices.Contains(s.d.Kinds, kind) }

// PlatformName is where new approvals are decided: a platform's name or web.
func (s *Service) PlatformName() string {
	if s.d.Platform == nil {
		return Web
	}
	return s.d.Platform.Name()
}

// Wait returns once the unlock requests accepted so far are handled.
func (s *Service) Wait() { s.async.Wait() }

func invalid(format string, args ...any) error {
	return fault.New(fault.Invalid, fmt.Sprintf(format, args...))
}

// RequestUnlock accepts a self-service unlock request. Its answer and its
// time are the same whether the login exists, is locked, or already has a
// pending request: the request is looked at after the answer, in the
// background, and becomes an approval only for an enabled, locked user
// without a pending one.
func (s *Service) RequestUnlock(ctx context.Context, login, reason, address string) error {
	if !s.Enabled(store.ApprovalUnlock) {
		return ErrOff
	}
	switch {
	case login == "":
		return invalid("login is required")
	case len(login) > account.MaxLoginLen:
		return invalid("login is longer than %d bytes", account.MaxLoginLen)
	case len(reason) > maxReason:
		return invalid("reason is longer than %d bytes", maxReason)
	}
	n, err := s.d.Counter.Hit(ctx, "unlock-requests:"+address, time.Hour)
	if err != nil {
		return err
	}
	if n > UnlockRequestLimit {
		return &RateLimitedError{RetryAfter: time.Hour}
	}
	bg := context.WithoutCancel(ctx)
	s.async.Go(func() {
		ctx, cancel := context.WithTimeout(bg, asyncTimeout)
		defer cancel()
		if err := s.openUnlock(ctx, login, reason, address); err != nil {
			s.d.Log.Error("unlock request", "err", err)
		}
	})
	return nil
}

func (s *Service) openUnlock(ctx context.Context, login, reason, address string) error {
	u, err := s.d.Users.GetUserByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return nil
	}
	if err != nil {
		return err
	}
	locked, err := s.d.Locks.Locked(ctx, u.Login)
	if err != nil || !locked {
		return err
	}
	_, err = s.create(ctx, store.Approval{Kind: store.ApprovalUnlock, UserID: u.ID, Login: u.Login, Reason: reason}, address)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil
	}
	return err
}

// RequestDevKey asks for a dev_key for u, to be claimed once approved.
func (s *Service) RequestDevKey(ctx context.Context, u store.Identity, label, reason, address string) (store.Approval, error) {
	if !s.Enabled(store.ApprovalDevKey) {
		return store.Approval{}, ErrOff
	}
	if len(label) > maxReason {
		return store.Approval{}, invalid("label is longer than %d bytes", maxReason)
	}
	if len(reason) > maxReason {
		return store.Approval{}, invalid("reason is longer than %d bytes", maxReason)
	}
	return s.create(ctx, store.Approval{Kind: store.ApprovalDevKey, UserID: u.ID, Login: u.Login, Label: label, Reason: reason}, address)
}

func (s *Service) create(ctx context.Context, a store.Approval, address string) (store.Approval, error) {
	a.State, a.Platform, a.CreatedAt = store.ApprovalPending, s.PlatformName(), s.d.Now().UTC()
	a, err := s.d.Store.CreateApproval(ctx, a, store.AuditEvent{At: a.CreatedAt, Subject: account.Key(a.Login),
		Address: address, Kind: AuditApproval, Outcome: "requested " + a.Kind})
	if err != nil {
		return store.Approval{}, err
	}
	s.d.Metrics.Approval(a.Kind, "requested")
	return a, nil
}

// Get returns an approval its requester or an admin may see; to others it
// does not exist.
func (s *Service) Get(ctx context.Context, viewer store.Identity, id int64) (store.Approval, error) {
	a, err := s.d.Store.GetApproval(ctx, id)
	if err != nil {
		return store.Approval{}, err
	}
	if !viewer.IsSuper && a.UserID != viewer.ID {
		return store.Approval{}, fmt.Errorf("approval %d: %w", id, store.ErrNotFound)
	}
	return a, nil
}

// List returns one page of the viewer's approvals, or for admins anyone's.
func (s *Service) List(ctx context.Context, viewer store.Identity, f store.ApprovalFilter) ([]store.Approval, int, error) {
	if !viewer.IsSuper {
		f.UserID = viewer.ID
	}
	f.Work, f.InstanceID = false, ""
	return s.d.Store.ListApprovals(ctx, f)
}

// settle records a decision on a pending approval.
func settle(a *store.Approval, state, by, remark string, at time.Time) {
	a.State, a.DecidedAt, a.DecidedBy, a.Remark = state, &at, by, remark
	a.NeedsUnlock = state == store.ApprovalApproved && a.Kind == store.ApprovalUnlock
}

// event is an approval's audit row, about its requester.
func event(a store.Approval, address, outcome string) store.AuditEvent {
	return store.AuditEvent{At: *a.DecidedAt, Subject: account.Key(a.Login), Address: address, Kind: AuditApproval, Outcome: outcome}
}

// Decide approves or rejects a pending approval in xtraauth, as by (an
// enabled super admin, read afresh, not its requester); the decision is
// then mirrored to the platform's instance by the worker.
func (s *Service) Decide(ctx context.Context, by store.Identity, id int64, approve bool, remark, address string) (store.Approval, error) {
	admin, err := s.d.Users.GetUser(ctx, by.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!admin.IsSuper || admin.Disabled)) {
		return store.Approval{}, account.ErrForbidden
	}
	if err != nil {
		return store.Approval{}, err
	}
	if len(remark) > maxReason {
		return store.Approval{}, invalid("remark is longer than %d bytes", maxReason)
	}
	state := store.ApprovalRejected
	if approve {
		state = store.ApprovalApproved
	}
	now := s.d.Now().UTC()
	a, err := s.d.Store.UpdateApproval(ctx, id, func(a *store.Approval) ([]store.AuditEvent, error) {
		if a.UserID == admin.ID {
			return nil, ErrOwnRequest
		}
		if a.State != store.ApprovalPending {
			return nil, ErrAlreadyDecided
		}
		settle(a, state, admin.Login, remark, now)
		a.NeedsMirror = a.InstanceID != ""
		return []store.AuditEvent{event(*a, address, outcome(state, *a, "by "+admin.Login))}, nil
	})
	if err != nil {
		return store.Approval{}, err
	}
	s.d.Metrics.Approval(a.Kind, state)
	return s.unlock(ctx, a), nil
}

// Cancel withdraws the viewer's own pending approval.
func (s *Service) Cancel(ctx context.Context, viewer store.Identity, id int64, address string) (store.Approval, error) {
	now := s.d.Now().UTC()
	a, err := s.d.Store.UpdateApproval(ctx, id, func(a *store.Approval) ([]store.AuditEvent, error) {
		switch {
		case a.UserID != viewer.ID && viewer.IsSuper:
			return nil, account.ErrForbidden
		case a.UserID != viewer.ID:
			return nil, fmt.Errorf("approval %d: %w", id, store.ErrNotFound)
		case a.State != store.ApprovalPending:
			return nil, ErrAlreadyDecided
		}
		settle(a, store.ApprovalCanceled, "", "", now)
		a.NeedsMirror = a.InstanceID != ""
		return []store.AuditEvent{event(*a, address, outcome(store.ApprovalCanceled, *a, "by the requester"))}, nil
	})
	if err != nil {
		return store.Approval{}, err
	}
	s.d.Metrics.Approval(a.Kind, store.ApprovalCanceled)
	return a, nil
}

// Claim makes the dev_key of the viewer's approved request and returns it,
// once, within ClaimWithin of the approval; the key and its audit row are
// written in the claim's transaction.
func (s *Service) Claim(ctx context.Context, viewer store.Identity, id int64, address string) (account.NewDevKey, error) {
	a, err := s.Get(ctx, store.Identity{ID: viewer.ID}, id)
	if err != nil {
		return account.NewDevKey{}, err
	}
	if a.Kind != store.ApprovalDevKey {
		return account.NewDevKey{}, ErrNothingToClaim
	}
	nk, err := s.d.Keys.MintDevKey(a.UserID, a.Label)
	if err != nil {
		return account.NewDevKey{}, err
	}
	now := s.d.Now().UTC()
	_, k, err := s.d.Store.ClaimApproval(ctx, id, func(a *store.Approval) ([]store.AuditEvent, error) {
		if err := claimable(*a, now); err != nil {
			return nil, err
		}
		a.State = store.ApprovalClaimed
		e := event(*a, address, outcome(store.ApprovalClaimed, *a, ""))
		e.At = now
		created := e
		created.Kind, created.Outcome = account.AuditDevKeyCreated, fmt.Sprintf("claimed from approval #%d", a.ID)
		return []store.AuditEvent{e, created}, nil
	}, nk.DevKey)
	if errors.Is(err, ErrExpired) {
		s.expire(ctx, id)
	}
	if err != nil {
		return account.NewDevKey{}, err
	}
	s.d.Metrics.Approval(a.Kind, store.ApprovalClaimed)
	nk.DevKey = k
	return nk, nil
}

func claimable(a store.Approval, now time.Time) error {
	switch {
	case a.State == store.ApprovalClaimed:
		return ErrAlreadyClaimed
	case a.State == store.ApprovalExpired:
		return ErrExpired
	case a.State != store.ApprovalApproved:
		return ErrNotApproved
	case a.DecidedAt == nil || now.Sub(*a.DecidedAt) >= ClaimWithin:
		return ErrExpired
	}
	return nil
}

// errUnchanged aborts an update that has nothing to do.
var errUnchanged = errors.New("unchanged")

// expire turns an approved dev_key left unclaimed past ClaimWithin into
// expired.
func (s *Service) expire(ctx context.Context, id int64) {
	now := s.d.Now().UTC()
	a, err := s.d.Store.UpdateApproval(ctx, id, func(a *store.Approval) ([]store.AuditEvent, error) {
		if a.State != store.ApprovalApproved || !errors.Is(claimable(*a, now), ErrExpired) {
			return nil, errUnchanged
		}
		a.State = store.ApprovalExpired
		e := event(*a, "", outcome(store.ApprovalExpired, *a, ""))
		e.At = now
		return []store.AuditEvent{e}, nil
	})
	if err == nil {
		s.d.Metrics.Approval(a.Kind, store.ApprovalExpired)
	} else if !errors.Is(err, errUnchanged) {
		s.d.Log.Error("expire approval", "id", id, "err", err)
	}
}

// unlock lifts an approved unlock's lock and clears its flag; when that
// fails the worker tries again.
func (s *Service) unlock(ctx context.Context, a store.Approval) store.Approval {
	if !a.NeedsUnlock {
		return a
	}
	if err := s.d.Locks.Unlock(ctx, a.Login, a.DecidedBy); err != nil {
		s.d.Log.Error("unlock of an approved request", "id", a.ID, "err", err)
		return a
	}
	done, err := s.d.Store.UpdateApproval(ctx, a.ID, func(a *store.Approval) ([]store.AuditEvent, error) {
		a.NeedsUnlock = false
		return nil, nil
	})
	if err != nil {
		s.d.Log.Error("unlock of an approved request", "id", a.ID, "err", err)
		return a
	}
	return done
}

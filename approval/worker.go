package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"xtraauth/account"
	"xtraauth/store"
)

// setupper is a platform that makes its template or definition first.
type setupper interface {
	Setup(ctx context.Context) error
}

// Work does, in the process holding the lease, what approvals owe their
// platform: open instances for new approvals, mirror decisions made in
// xtraauth, lift the locks of approved unlocks, and expire unclaimed
// dev_keys. A platform call that failed waits Retry before its next try.
func (s *Service) Work(ctx context.Context) error {
	held, err := s.d.Lease.Held(ctx)
	if err != nil || !held {
		return err
	}
	ready := s.setup(ctx)
	owed, _, err := s.d.Store.ListApprovals(ctx, store.ApprovalFilter{Work: true})
	if err != nil {
		return err
	}
	slices.Reverse(owed) // oldest first
	for _, a := range owed {
		if a.NeedsUnlock {
			a = s.unlock(ctx, a)
		}
		switch {
		case s.d.Platform == nil && a.NeedsMirror:
			s.mirrored(ctx, a) // its platform is no longer configured
		case !ready || !s.due(a.ID):
		case a.NeedsMirror:
			s.mirror(ctx, a)
		case a.State == store.ApprovalPending && a.InstanceID == "" && a.Platform == s.d.Platform.Name():
			s.submit(ctx, a)
		}
	}
	s.expireUnclaimed(ctx)
	return nil
}

// setup makes the platform's template or definition once, and reports
// whether the platform is ready for instances.
func (s *Service) setup(ctx context.Context) bool {
	if s.d.Platform == nil {
		return false
	}
	p, ok := s.d.Platform.(setupper)
	s.mu.Lock()
	done := s.ready
	s.mu.Unlock()
	if !ok || done {
		return true
	}
	if !s.due(0) || s.platformCall(ctx, 0, p.Setup(ctx)) != nil {
		return false // shown in GET /api/integrations, tried again later
	}
	s.mu.Lock()
	s.ready = true
	s.mu.Unlock()
	return true
}

// due reports whether approval id may be tried on the platform now.
func (s *Service) due(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.d.Now().Before(s.retryAt[id])
}

// platformCall records how a platform call about approval id went, for
// GET /api/integrations, and holds its next try back after a failure.
func (s *Service) platformCall(ctx context.Context, id int64, err error) error {
	now := s.d.Now().UTC()
	msg := ""
	s.mu.Lock()
	if err != nil {
		msg = err.Error()
		s.retryAt[id] = now.Add(s.d.Retry)
	} else {
		delete(s.retryAt, id)
	}
	s.mu.Unlock()
	if rerr := s.d.Store.RecordIntegration(ctx, s.d.Platform.Name(), now, msg); rerr != nil {
		s.d.Log.Error("record integration status", "err", rerr)
	}
	if err != nil {
		s.d.Log.Warn("approval platform call failed", "platform", s.d.Platform.Name(), "approval", id, "err", err)
	}
	return err
}

// approvers are the enabled super admins but the requester.
func (s *Service) approvers(ctx context.Context, requesterID int64) ([]store.User, error) {
	users, _, err := s.d.Users.ListUsers(ctx, store.UserFilter{})
	if err != nil {
		return nil, err
	}
	var out []store.User
	for _, u := range users {
		if u.IsSuper && !u.Disabled && u.ID != requesterID {
			out = append(out, u)
		}
	}
	return out, nil
}

// submit opens a's instance. Should a be decided in the page meanwhile,
// the instance is kept and the decision mirrored to it.
func (s *Service) submit(ctx context.Context, a store.Approval) {
	requester, err := s.d.Users.GetUser(ctx, a.UserID)
	if err != nil {
		s.d.Log.Error("submit approval", "id", a.ID, "err", err)
		return
	}
	approvers, err := s.approvers(ctx, a.UserID)
	if err != nil {
		s.d.Log.Error("submit approval", "id", a.ID, "err", err)
		return
	}
	id, err := s.d.Platform.Submit(ctx, a, requester, approvers)
	if s.platformCall(ctx, a.ID, err) != nil {
		return
	}
	_, err = s.d.Store.UpdateApproval(ctx, a.ID, func(cur *store.Approval) ([]store.AuditEvent, error) {
		cur.InstanceID = id
		cur.NeedsMirror = cur.State != store.ApprovalPending
		return nil, nil
	})
	if err != nil {
		s.d.Log.Error("keep the instance of an approval", "id", a.ID, "instance", id, "err", err)
	}
}

// mirror applies a decision made in xtraauth to the instance.
func (s *Service) mirror(ctx context.Context, a store.Approval) {
	var by store.User
	if a.DecidedBy != "" {
		u, err := s.d.Users.GetUserByLogin(ctx, a.DecidedBy)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.d.Log.Error("mirror approval", "id", a.ID, "err", err)
			return
		}
		by = u
	}
	if s.platformCall(ctx, a.ID, Mirror(ctx, s.d.Platform, a, by)) == nil {
		s.mirrored(ctx, a)
	}
}

// mirrored clears a's mirroring flag.
func (s *Service) mirrored(ctx context.Context, a store.Approval) {
	_, err := s.d.Store.UpdateApproval(ctx, a.ID, func(cur *store.Approval) ([]store.AuditEvent, error) {
		cur.NeedsMirror = false
		return nil, nil
	})
	if err != nil {
		s.d.Log.Error("mirror approval", "id", a.ID, "err", err)
	}
}

func (s *Service) expireUnclaimed(ctx context.Context) {
	approved, _, err := s.d.Store.ListApprovals(ctx, store.ApprovalFilter{State: store.ApprovalApproved, Kind: store.ApprovalDevKey})
	if err != nil {
		s.d.Log.Error("expire approvals", "err", err)
		return
	}
	now := s.d.Now()
	for _, a := range approved {
		if errors.Is(claimable(a, now), ErrExpired) {
			s.expire(ctx, a.ID)
		}
	}
}

// Poll reads the instances of pending approvals on the platform and
// applies their decisions. Every process polls; the compare-and-set of the
// state applies each decision once.
func (s *Service) Poll(ctx context.Context) error {
	if s.d.Platform == nil {
		return nil
	}
	pending, _, err := s.d.Store.ListApprovals(ctx, store.ApprovalFilter{State: store.ApprovalPending, Platform: s.d.Platform.Name()})
	if err != nil {
		return err
	}
	for _, a := range pending {
		if a.InstanceID != "" && s.due(a.ID) {
			s.refresh(ctx, a)
		}
	}
	return nil
}

// Refresh reads one instance a platform says has changed (Feishu's event
// callback) and applies its decision. Only the instance as the platform's
// API reports it counts, never the callback's own claims.
func (s *Service) Refresh(ctx context.Context, instanceID string) error {
	if s.d.Platform == nil || instanceID == "" {
		return nil
	}
	found, _, err := s.d.Store.ListApprovals(ctx, store.ApprovalFilter{InstanceID: instanceID,
		State: store.ApprovalPending, Platform: s.d.Platform.Name()})
	if err != nil {
		return err
	}
	for _, a := range found {
		s.refresh(ctx, a)
	}
	return nil
}

func (s *Service) refresh(ctx context.Context, a store.Approval) {
	inst, err := s.d.Platform.Instance(ctx, a.InstanceID)
	if s.platformCall(ctx, a.ID, err) != nil {
		return
	}
	switch inst.Status {
	case InstanceCanceled:
		s.apply(ctx, a, store.ApprovalCanceled, store.User{}, "canceled on "+s.d.Platform.Name())
	case InstanceApproved, InstanceRejected:
		admin, found, err := s.decider(ctx, inst.DecidedBy, a.UserID)
		if s.platformCall(ctx, a.ID, err) != nil {
			return
		}
		state := map[string]string{InstanceApproved: store.ApprovalApproved, InstanceRejected: store.ApprovalRejected}[inst.Status]
		if !found {
			s.ignore(ctx, a, state, inst.DecidedBy)
			return
		}
		s.apply(ctx, a, state, admin, "")
	}
}

// decider is the enabled super admin (not the requester) whose platform
// account is platformUser.
func (s *Service) decider(ctx context.Context, platformUser string, requesterID int64) (store.User, bool, error) {
	if platformUser == "" {
		return store.User{}, false, nil
	}
	admins, err := s.approvers(ctx, requesterID)
	if err != nil {
		return store.User{}, false, err
	}
	for _, u := range admins {
		id, err := s.d.Platform.UserID(ctx, u)
		if errors.Is(err, ErrNoAccount) {
			continue
		}
		if err != nil {
			return store.User{}, false, err
		}
		if id == platformUser {
			return u, true, nil
		}
	}
	return store.User{}, false, nil
}

// apply makes a platform's decision a's, if a is still pending with the
// same instance.
func (s *Service) apply(ctx context.Context, a store.Approval, state string, admin store.User, remark string) {
	now := s.d.Now().UTC()
	where := "on " + s.d.Platform.Name()
	decided, err := s.d.Store.UpdateApproval(ctx, a.ID, func(cur *store.Approval) ([]store.AuditEvent, error) {
		if cur.State != store.ApprovalPending || cur.InstanceID != a.InstanceID {
			return nil, errUnchanged
		}
		settle(cur, state, admin.Login, remark, now)
		by := where
		if admin.Login != "" {
			by = "by " + admin.Login + " " + where
		}
		return []store.AuditEvent{event(*cur, "", outcome(state, *cur, by))}, nil
	})
	if errors.Is(err, errUnchanged) {
		return
	}
	if err != nil {
		s.d.Log.Error("apply a platform's decision", "id", a.ID, "err", err)
		return
	}
	s.d.Metrics.Approval(decided.Kind, state)
	s.unlock(ctx, decided)
}

// ignore refuses a decision made on the platform by someone who is not an
// enabled super admin: it is audited, and the approval goes on in the web
// page (the instance is over, and a new one could meet the same fate).
func (s *Service) ignore(ctx context.Context, a store.Approval, state, platformUser string) {
	now := s.d.Now().UTC()
	_, err := s.d.Store.UpdateApproval(ctx, a.ID, func(cur *store.Approval) ([]store.AuditEvent, error) {
		if cur.State != store.ApprovalPending || cur.InstanceID != a.InstanceID || cur.Platform != s.d.Platform.Name() {
			return nil, errUnchanged
		}
		cur.Platform = Web
		who := platformUser
		if who == "" {
			who = "an unknown user"
		}
		return []store.AuditEvent{{At: now, Subject: account.Key(a.Login), Kind: AuditIgnored, Outcome: fmt.Sprintf(
			"%s by %s user %s: not an enabled super admin", outcome(state, *cur, ""), s.d.Platform.Name(), who)}}, nil
	})
	if errors.Is(err, errUnchanged) {
		return
	}
	if err != nil {
		s.d.Log.Error("ignore a platform's decision", "id", a.ID, "err", err)
		return
	}
	s.d.Metrics.Approval(a.Kind, "ignored")
}

package memstore

import (
	"cmp"
	"context"
	"slices"

	"xtraauth/store"
)

func copyApproval(a store.Approval) store.Approval {
	a.DecidedAt = dbTimePtr(a.DecidedAt)
	return a
}

// checkApproval refuses a second pending unlock of a's user, as the SQL
// stores' unique index does; s.mu must be held.
func (s *Store) checkApproval(a store.Approval) error {
	if a.Kind != store.ApprovalUnlock || a.State != store.ApprovalPending {
		return nil
	}
	for _, o := range s.approvals {
		if o.ID != a.ID && o.UserID == a.UserID && o.Kind == store.ApprovalUnlock && o.State == store.ApprovalPending {
			return alreadyExists("approval: user %d has a pending unlock", a.UserID)
		}
	}
	return nil
}

// CreateApproval implements store.Approvals. A zero CreatedAt becomes now.
func (s *Store) CreateApproval(_ context.Context, a store.Approval, e store.AuditEvent) (store.Approval, error) {
	a = copyApproval(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[a.UserID]; !ok {
		return store.Approval{}, notFound("create approval: user %d", a.UserID)
	}
	a.ID = 0
	if err := s.checkApproval(a); err != nil {
		return store.Approval{}, err
	}
	a.CreatedAt = s.nowOr(a.CreatedAt)
	a.ID = s.nextID(tableApprovals)
	s.approvals[a.ID] = a
	s.addEvents(e)
	return copyApproval(a), nil
}

// GetApproval implements store.Approvals.
func (s *Store) GetApproval(_ context.Context, id int64) (store.Approval, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.approvals[id]
	if !ok {
		return store.Approval{}, notFound("approval %d", id)
	}
	return copyApproval(a), nil
}

// ListApprovals implements store.Approvals, newest first.
func (s *Store) ListApprovals(_ context.Context, f store.ApprovalFilter) ([]store.Approval, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []store.Approval
	for _, a := range s.approvals {
		if (f.UserID == 0 || a.UserID == f.UserID) && (f.State == "" || a.State == f.State) &&
			(f.Kind == "" || a.Kind == f.Kind) && (f.Platform == "" || a.Platform == f.Platform) &&
			(f.InstanceID == "" || a.InstanceID == f.InstanceID) &&
			(!f.Work || (a.State == store.ApprovalPending && a.Platform != "web") || a.NeedsMirror || a.NeedsUnlock) {
			match = append(match, copyApproval(a))
		}
	}
	slices.SortFunc(match, func(a, b store.Approval) int { return cmp.Compare(b.ID, a.ID) })
	return page(match, f.Offset, f.Limit), len(match), nil
}

// UpdateApproval implements store.Approvals.
func (s *Store) UpdateApproval(_ context.Context, id int64, update func(*store.Approval) ([]store.AuditEvent, error)) (store.Approval, error) {
	a, _, err := s.updateApproval(id, update, nil)
	return a, err
}

// ClaimApproval implements store.Approvals.
func (s *Store) ClaimApproval(_ context.Context, id int64, update func(*store.Approval) ([]store.AuditEvent, error), k store.DevKey) (store.Approval, store.DevKey, error) {
	return s.updateApproval(id, update, &k)
}

// updateApproval runs update on the approval and writes the result back
// with update's audit events and, when k is not nil, k as a dev_key of
// the approval's user: all of it or nothing.
func (s *Store) updateApproval(id int64, update func(*store.Approval) ([]store.AuditEvent, error), k *store.DevKey) (store.Approval, store.DevKey, error) {
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.Lock()
	before, ok := s.approvals[id]
	s.mu.Unlock()
	if !ok {
		return store.Approval{}, store.DevKey{}, notFound("approval %d", id)
	}
	after := copyApproval(before)
	events, err := update(&after)
	if err != nil {
		return store.Approval{}, store.DevKey{}, err // the caller's own error, unwrapped
	}
	after.ID, after.CreatedAt, after.UserID = before.ID, before.CreatedAt, before.UserID
	after = copyApproval(after)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkApproval(after); err != nil {
		return store.Approval{}, store.DevKey{}, err
	}
	var key store.DevKey
	if k != nil {
		key = store.DevKey{UserID: after.UserID, Label: k.Label, Prefix: k.Prefix, Hash: k.Hash,
			CreatedAt: s.nowOr(k.CreatedAt)}
		if err := s.addDevKey(&key); err != nil {
			return store.Approval{}, store.DevKey{}, err
		}
	}
	s.approvals[id] = after
	s.addEvents(events...)
	return copyApproval(after), key, nil
}

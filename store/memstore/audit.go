package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"xtraauth/store"
)

// AddAuditEvent implements store.Audit. A zero At becomes now.
func (s *Store) AddAuditEvent(_ context.Context, e store.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addEvents(e)
	return nil
}

// addEvents appends events to the trail; s.mu must be held.
func (s *Store) addEvents(events ...store.AuditEvent) {
	for _, e := range events {
		e.ID = s.nextID(tableAudit)
		e.At = s.nowOr(e.At)
		s.audit = append(s.audit, e)
	}
}

// ListAuditEvents implements store.Audit, newest first; events with the
// same time come in reverse order of insertion.
func (s *Store) ListAuditEvents(_ context.Context, f store.AuditFilter) ([]store.AuditEvent, int, error) {
	from, to := dbTime(f.From), dbTime(f.To)
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []store.AuditEvent
	for _, e := range s.audit {
		if (f.Subject == "" || e.Subject == f.Subject) && (f.Kind == "" || e.Kind == f.Kind) &&
			(f.From.IsZero() || !e.At.Before(from)) && (f.To.IsZero() || e.At.Before(to)) {
			match = append(match, e)
		}
	}
	slices.SortFunc(match, func(a, b store.AuditEvent) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.ID, a.ID))
	})
	return page(match, f.Offset, f.Limit), len(match), nil
}

// PruneAuditEvents implements store.Audit.
func (s *Store) PruneAuditEvents(_ context.Context, before time.Time) (int64, error) {
	before = dbTime(before)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.audit)
	s.audit = slices.DeleteFunc(s.audit, func(e store.AuditEvent) bool { return e.At.Before(before) })
	return int64(n - len(s.audit)), nil
}

// AuditEventsAfter implements store.AuditFeed.
func (s *Store) AuditEventsAfter(_ context.Context, afterID int64, limit int) ([]store.AuditEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, _ := slices.BinarySearchFunc(s.audit, afterID+1, func(e store.AuditEvent, id int64) int { return cmp.Compare(e.ID, id) })
	rest := s.audit[i:]
	return append([]store.AuditEvent{}, rest[:min(max(limit, 0), len(rest))]...), nil
}

// LastAuditEventID implements store.AuditFeed.
func (s *Store) LastAuditEventID(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.audit) == 0 {
		return 0, nil
	}
	return s.audit[len(s.audit)-1].ID, nil
}

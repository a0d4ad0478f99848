package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"xtraauth/store"
)

func copyDelivery(d store.Delivery) store.Delivery {
	d.SentAt = dbTimePtr(d.SentAt)
	return d
}

// AddDeliveries implements store.Outbox.
func (s *Store) AddDeliveries(_ context.Context, ds []store.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		if s.hasDelivery(d) {
			continue
		}
		id := s.nextID(tableDeliveries)
		s.deliveries[id] = store.Delivery{
			ID: id, EventID: d.EventID, Channel: d.Channel, Recipient: d.Recipient,
			Title: d.Title, Text: d.Text, Priority: d.Priority, State: store.DeliveryPending,
			CreatedAt: s.nowOr(d.CreatedAt), NextAt: s.nowOr(d.NextAt),
		}
	}
	return nil
}

// hasDelivery reports whether d's event, channel and recipient have a
// delivery; s.mu must be held.
func (s *Store) hasDelivery(d store.Delivery) bool {
	for _, o := range s.deliveries {
		if o.EventID == d.EventID && o.Channel == d.Channel && o.Recipient == d.Recipient {
			return true
		}
	}
	return false
}

// DueDeliveries implements store.Outbox.
func (s *Store) DueDeliveries(_ context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	now = dbTime(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []store.Delivery
	for _, d := range s.deliveries {
		if d.State == store.DeliveryPending && !d.NextAt.After(now) {
			due = append(due, copyDelivery(d))
		}
	}
	slices.SortFunc(due, func(a, b store.Delivery) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), cmp.Compare(a.ID, b.ID))
	})
	return append([]store.Delivery{}, due[:min(max(limit, 0), len(due))]...), nil
}

// UpdateDelivery implements store.Outbox.
func (s *Store) UpdateDelivery(_ context.Context, d store.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.deliveries[d.ID]
	if !ok {
		return notFound("update delivery %d", d.ID)
	}
	cur.State, cur.Attempts, cur.NextAt, cur.SentAt, cur.LastError = d.State, d.Attempts, dbTime(d.NextAt), dbTimePtr(d.SentAt), d.LastError
	s.deliveries[d.ID] = cur
	return nil
}

// DelayDeliveries implements store.Outbox.
func (s *Store) DelayDeliveries(_ context.Context, channel string, until time.Time) error {
	until = dbTime(until)
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, d := range s.deliveries {
		if d.Channel == channel && d.State == store.DeliveryPending && d.NextAt.Before(until) {
			d.NextAt = until
			s.deliveries[id] = d
		}
	}
	return nil
}

// PendingDeliveries implements store.Outbox.
func (s *Store) PendingDeliveries(context.Context) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, d := range s.deliveries {
		if d.State == store.DeliveryPending {
			out[d.Channel]++
		}
	}
	return out, nil
}

// Cursor implements store.Outbox.
func (s *Store) Cursor(_ context.Context, name string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[name], nil
}

// SetCursor implements store.Outbox.
func (s *Store) SetCursor(_ context.Context, name string, position int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursors[name] = position
	return nil
}

type lease struct {
	holder string
	until  time.Time
}

// TakeLease implements store.Leases.
func (s *Store) TakeLease(_ context.Context, name, holder string, now, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.holder != holder && l.until.After(dbTime(now)) {
		return false, nil
	}
	s.leases[name] = lease{holder: holder, until: dbTime(until)}
	return true, nil
}

// DropLease implements store.Leases.
func (s *Store) DropLease(_ context.Context, name, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.holder == holder {
		delete(s.leases, name)
	}
	return nil
}

// RecordIntegration implements store.IntegrationStatuses.
func (s *Store) RecordIntegration(_ context.Context, name string, at time.Time, callErr string) error {
	at = dbTime(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.integrations[name]
	st.Name, st.LastError = name, callErr
	if callErr == "" {
		st.LastSuccessAt = &at
	} else {
		st.LastErrorAt = &at
	}
	s.integrations[name] = st
	return nil
}

// IntegrationStatuses implements store.IntegrationStatuses, by name.
func (s *Store) IntegrationStatuses(context.Context) ([]store.IntegrationStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]store.IntegrationStatus, 0, len(s.integrations))
	for _, st := range s.integrations {
		st.LastErrorAt, st.LastSuccessAt = dbTimePtr(st.LastErrorAt), dbTimePtr(st.LastSuccessAt)
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b store.IntegrationStatus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// GetOrCreateSetting implements store.Settings.
func (s *Store) GetOrCreateSetting(_ context.Context, key, value string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.settings[key]; ok {
		return v, nil
	}
	s.settings[key] = value
	return value, nil
}

// Setting implements store.Settings.
func (s *Store) Setting(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.settings[key]
	if !ok {
		return "", notFound("setting %q", key)
	}
	return v, nil
}

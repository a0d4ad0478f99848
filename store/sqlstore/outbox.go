package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"xtraauth/store"
)

var (
	_ store.AuditFeed           = (*Store)(nil)
	_ store.Outbox              = (*Store)(nil)
	_ store.Leases              = (*Store)(nil)
	_ store.IntegrationStatuses = (*Store)(nil)
	_ store.Settings            = (*Store)(nil)
)

// AuditEventsAfter implements store.AuditFeed.
func (s *Store) AuditEventsAfter(ctx context.Context, afterID int64, limit int) ([]store.AuditEvent, error) {
	rows, err := s.query(ctx, s.db, `SELECT id, at, subject, address, kind, outcome FROM audit_events
		WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, wrap("read audit events", err)
	}
	defer rows.Close()
	events := []store.AuditEvent{}
	for rows.Next() {
		var e store.AuditEvent
		if err := rows.Scan(&e.ID, timeScan{&e.At}, &e.Subject, &e.Address, &e.Kind, &e.Outcome); err != nil {
			return nil, wrap("read audit events", err)
		}
		events = append(events, e)
	}
	return events, wrap("read audit events", rows.Err())
}

// LastAuditEventID implements store.AuditFeed.
func (s *Store) LastAuditEventID(ctx context.Context) (int64, error) {
	var id int64
	err := s.queryRow(ctx, s.db, `SELECT COALESCE(MAX(id), 0) FROM audit_events`).Scan(&id)
	return id, wrap("last audit event", err)
}

const deliveryColumns = `id, event_id, channel, recipient, title, text, priority, state, attempts,
	created_at, next_at, sent_at, last_error`

func scanDelivery(r rowScanner) (store.Delivery, error) {
	var d store.Delivery
	err := r.Scan(&d.ID, &d.EventID, &d.Channel, &d.Recipient, &d.Title, &d.Text, &d.Priority, &d.State,
		&d.Attempts, timeScan{&d.CreatedAt}, timeScan{&d.NextAt}, nullTimeScan{&d.SentAt}, &d.LastError)
	return d, err
}

// AddDeliveries implements store.Outbox, in one transaction.
func (s *Store) AddDeliveries(ctx context.Context, ds []store.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, d := range ds {
			_, err := s.exec(ctx, tx, `INSERT INTO deliveries (event_id, channel, recipient, title, text,
				priority, state, attempts, created_at, next_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (event_id, channel, recipient) DO NOTHING`,
				d.EventID, d.Channel, d.Recipient, d.Title, d.Text, d.Priority, store.DeliveryPending,
				s.timeArg(s.nowOr(d.CreatedAt)), s.timeArg(s.nowOr(d.NextAt)))
			if err != nil {
				return wrap("add delivery", err)
			}
		}
		return nil
	})
}

// DueDeliveries implements store.Outbox.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE state = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
		store.DeliveryPending, s.timeArg(now), limit)
	if err != nil {
		return nil, wrap("due deliveries", err)
	}
	defer rows.Close()
	out := []store.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, wrap("due deliveries", err)
		}
		out = append(out, d)
	}
	return out, wrap("due deliveries", rows.Err())
}

// UpdateDelivery implements store.Outbox.
func (s *Store) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	res, err := s.exec(ctx, s.db, `UPDATE deliveries SET state = ?, attempts = ?, next_at = ?, sent_at = ?,
		last_error = ? WHERE id = ?`,
		d.State, d.Attempts, s.timeArg(d.NextAt), s.timePtrArg(d.SentAt), d.LastError, d.ID)
	return oneRow(res, err, fmt.Sprintf("update delivery %d", d.ID))
}

// DelayDeliveries implements store.Outbox.
func (s *Store) DelayDeliveries(ctx context.Context, channel string, until time.Time) error {
	_, err := s.exec(ctx, s.db, `UPDATE deliveries SET next_at = ? WHERE channel = ? AND state = ? AND next_at < ?`,
		s.timeArg(until), channel, store.DeliveryPending, s.timeArg(until))
	return wrap("delay deliveries", err)
}

// PendingDeliveries implements store.Outbox.
func (s *Store) PendingDeliveries(ctx context.Context) (map[string]int, error) {
	rows, err := s.query(ctx, s.db,
		`SELECT channel, COUNT(*) FROM deliveries WHERE state = ? GROUP BY channel`, store.DeliveryPending)
	if err != nil {
		return nil, wrap("count deliveries", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var channel string
		var n int
		if err := rows.Scan(&channel, &n); err != nil {
			return nil, wrap("count deliveries", err)
		}
		out[channel] = n
	}
	return out, wrap("count deliveries", rows.Err())
}

// Cursor implements store.Outbox.
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	var pos int64
	err := s.queryRow(ctx, s.db, `SELECT position FROM cursors WHERE name = ?`, name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return pos, wrap(fmt.Sprintf("cursor %q", name), err)
}

// SetCursor implements store.Outbox.
func (s *Store) SetCursor(ctx context.Context, name string, position int64) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO cursors (name, position) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position`, name, position)
	return wrap(fmt.Sprintf("set cursor %q", name), err)
}

// TakeLease implements store.Leases in one statement: the row is inserted,
// or taken over only when its holder is the caller or its time is up.
func (s *Store) TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	res, err := s.exec(ctx, s.db, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, s.timeArg(until), s.timeArg(now))
	if err != nil {
		return false, wrap(fmt.Sprintf("take lease %q", name), err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(fmt.Sprintf("take lease %q", name), err)
}

// DropLease implements store.Leases.
func (s *Store) DropLease(ctx context.Context, name, holder string) error {
	_, err := s.exec(ctx, s.db, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return wrap(fmt.Sprintf("drop lease %q", name), err)
}

// RecordIntegration implements store.IntegrationStatuses.
func (s *Store) RecordIntegration(ctx context.Context, name string, at time.Time, callErr string) error {
	q := `INSERT INTO integrations (name, last_error, last_error_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at`
	if callErr == "" {
		q = `INSERT INTO integrations (name, last_error, last_success_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET last_error = excluded.last_error, last_success_at = excluded.last_success_at`
	}
	_, err := s.exec(ctx, s.db, q, name, callErr, s.timeArg(at))
	return wrap(fmt.Sprintf("record integration %q", name), err)
}

// IntegrationStatuses implements store.IntegrationStatuses, by name.
func (s *Store) IntegrationStatuses(ctx context.Context) ([]store.IntegrationStatus, error) {
	rows, err := s.query(ctx, s.db,
		`SELECT name, last_error, last_error_at, last_success_at FROM integrations ORDER BY name`)
	if err != nil {
		return nil, wrap("integration statuses", err)
	}
	defer rows.Close()
	out := []store.IntegrationStatus{}
	for rows.Next() {
		var st store.IntegrationStatus
		if err := rows.Scan(&st.Name, &st.LastError, nullTimeScan{&st.LastErrorAt}, nullTimeScan{&st.LastSuccessAt}); err != nil {
			return nil, wrap("integration statuses", err)
		}
		out = append(out, st)
	}
	return out, wrap("integration statuses", rows.Err())
}

// Setting implements store.Settings.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, s.db, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, wrap(fmt.Sprintf("setting %q", key), err)
}

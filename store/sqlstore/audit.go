package sqlstore

import (
	"context"
	"strings"
	"time"

	"xtraauth/store"
)

// AddAuditEvent implements store.Audit. A zero At becomes now.
func (s *Store) AddAuditEvent(ctx context.Context, e store.AuditEvent) error {
	_, err := s.exec(ctx, s.db,
		`INSERT INTO audit_events (at, subject, address, kind, outcome) VALUES (?, ?, ?, ?, ?)`,
		s.timeArg(s.nowOr(e.At)), e.Subject, e.Address, e.Kind, e.Outcome)
	return wrap("add audit event", err)
}

// ListAuditEvents implements store.Audit, newest first; events with the same
// time come in reverse order of insertion.
func (s *Store) ListAuditEvents(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, int, error) {
	where, args := s.auditWhere(f)
	var total int
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM audit_events`+where, args...).Scan(&total)
	if err != nil {
		return nil, 0, wrap("count audit events", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.query(ctx, s.db, `SELECT id, at, subject, address, kind, outcome FROM audit_events`+
		where+` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, wrap("list audit events", err)
	}
	defer rows.Close()
	events := []store.AuditEvent{}
	for rows.Next() {
		var e store.AuditEvent
		if err := rows.Scan(&e.ID, timeScan{&e.At}, &e.Subject, &e.Address, &e.Kind, &e.Outcome); err != nil {
			return nil, 0, wrap("list audit events", err)
		}
		events = append(events, e)
	}
	return events, total, wrap("list audit events", rows.Err())
}

// pruneBatch is how many audit events one statement of PruneAuditEvents
// deletes at most.
const pruneBatch = 5000

// PruneAuditEvents implements store.Audit.
func (s *Store) PruneAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.exec(ctx, s.db, `DELETE FROM audit_events WHERE id IN
			(SELECT id FROM audit_events WHERE at < ? LIMIT ?)`, s.timeArg(before), pruneBatch)
		if err != nil {
			return total, wrap("prune audit events", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrap("prune audit events", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// auditWhere builds the WHERE clause of f; the (subject, at) and (at)
// indexes serve it.
func (s *Store) auditWhere(f store.AuditFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds, args = append(conds, cond), append(args, arg)
	}
	if f.Subject != "" {
		add(`subject = ?`, f.Subject)
	}
	if f.Kind != "" {
		add(`kind = ?`, f.Kind)
	}
	if !f.From.IsZero() {
		add(`at >= ?`, s.timeArg(f.From))
	}
	if !f.To.IsZero() {
		add(`at < ?`, s.timeArg(f.To))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

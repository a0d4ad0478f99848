package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"xtraauth/store"
)

var _ store.Approvals = (*Store)(nil)

const approvalColumns = `id, kind, state, user_id, login, label, reason, platform, instance_id,
	created_at, decided_at, decided_by, remark, needs_mirror, needs_unlock`

func scanApproval(r rowScanner) (store.Approval, error) {
	var a store.Approval
	err := r.Scan(&a.ID, &a.Kind, &a.State, &a.UserID, &a.Login, &a.Label, &a.Reason, &a.Platform,
		&a.InstanceID, timeScan{&a.CreatedAt}, nullTimeScan{&a.DecidedAt}, &a.DecidedBy, &a.Remark,
		&a.NeedsMirror, &a.NeedsUnlock)
	return a, err
}

// CreateApproval implements store.Approvals. A zero CreatedAt becomes now.
func (s *Store) CreateApproval(ctx context.Context, a store.Approval, e store.AuditEvent) (store.Approval, error) {
	a.CreatedAt = s.nowOr(a.CreatedAt)
	a.DecidedAt = dbTimePtr(a.DecidedAt)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := s.queryRow(ctx, tx, `INSERT INTO approvals (kind, state, user_id, login, label, reason,
			platform, instance_id, created_at, decided_at, decided_by, remark, needs_mirror, needs_unlock)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.Kind, a.State, a.UserID, a.Login, a.Label, a.Reason, a.Platform, a.InstanceID,
			s.timeArg(a.CreatedAt), s.timePtrArg(a.DecidedAt), a.DecidedBy, a.Remark, a.NeedsMirror, a.NeedsUnlock,
		).Scan(&a.ID)
		if isForeignKeyViolation(err) {
			return fmt.Errorf("create approval: user %d: %w", a.UserID, store.ErrNotFound)
		}
		if err != nil {
			return wrap("create approval", err)
		}
		return s.addEvents(ctx, tx, []store.AuditEvent{e})
	})
	if err != nil {
		return store.Approval{}, err
	}
	return a, nil
}

// GetApproval implements store.Approvals.
func (s *Store) GetApproval(ctx context.Context, id int64) (store.Approval, error) {
	a, err := scanApproval(s.queryRow(ctx, s.db, `SELECT `+approvalColumns+` FROM approvals WHERE id = ?`, id))
	return a, wrap(fmt.Sprintf("approval %d", id), err)
}

// ListApprovals implements store.Approvals, newest first.
func (s *Store) ListApprovals(ctx context.Context, f store.ApprovalFilter) ([]store.Approval, int, error) {
	var conds []string
	var args []any
	add := func(cond string, arg any) { conds, args = append(conds, cond), append(args, arg) }
	if f.UserID != 0 {
		add(`user_id = ?`, f.UserID)
	}
	if f.State != "" {
		add(`state = ?`, f.State)
	}
	if f.Kind != "" {
		add(`kind = ?`, f.Kind)
	}
	if f.Platform != "" {
		add(`platform = ?`, f.Platform)
	}
	if f.InstanceID != "" {
		add(`instance_id = ?`, f.InstanceID)
	}
	if f.Work {
		add(`((state = ? AND platform <> 'web') OR needs_mirror OR needs_unlock)`, store.ApprovalPending)
	}
	where := ""
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	var total int
	if err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM approvals`+where, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count approvals", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.query(ctx, s.db, `SELECT `+approvalColumns+` FROM approvals`+where+
		` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, wrap("list approvals", err)
	}
	defer rows.Close()
	out := []store.Approval{}
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, 0, wrap("list approvals", err)
		}
		out = append(out, a)
	}
	return out, total, wrap("list approvals", rows.Err())
}

// UpdateApproval implements store.Approvals. The row is locked for the
// whole read-modify-write (FOR UPDATE in PostgreSQL; SQLite transactions
// take the write lock at BEGIN).
func (s *Store) UpdateApproval(ctx context.Context, id int64, update func(*store.Approval) ([]store.AuditEvent, error)) (store.Approval, error) {
	var after store.Approval
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		after, err = s.updateApproval(ctx, tx, id, update)
		return err
	})
	if err != nil {
		return store.Approval{}, err
	}
	return after, nil
}

// ClaimApproval implements store.Approvals.
func (s *Store) ClaimApproval(ctx context.Context, id int64, update func(*store.Approval) ([]store.AuditEvent, error), k store.DevKey) (store.Approval, store.DevKey, error) {
	var after store.Approval
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if after, err = s.updateApproval(ctx, tx, id, update); err != nil {
			return err
		}
		k.UserID, k.CreatedAt = after.UserID, s.nowOr(k.CreatedAt)
		err = s.queryRow(ctx, tx, `INSERT INTO dev_keys (user_id, label, prefix, hash, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			k.UserID, k.Label, k.Prefix, k.Hash, s.timeArg(k.CreatedAt)).Scan(&k.ID)
		return wrap("claim approval: create dev_key", err)
	})
	if err != nil {
		return store.Approval{}, store.DevKey{}, err
	}
	return after, k, nil
}

func (s *Store) updateApproval(ctx context.Context, tx *sql.Tx, id int64, update func(*store.Approval) ([]store.AuditEvent, error)) (store.Approval, error) {
	q := `SELECT ` + approvalColumns + ` FROM approvals WHERE id = ?`
	if s.dialect == DialectPostgres {
		q += ` FOR UPDATE`
	}
	before, err := scanApproval(s.queryRow(ctx, tx, q, id))
	if err != nil {
		return store.Approval{}, wrap(fmt.Sprintf("approval %d", id), err)
	}
	after := before
	events, err := update(&after)
	if err != nil {
		return store.Approval{}, err // the caller's own error, unwrapped
	}
	after.ID, after.CreatedAt, after.UserID = before.ID, before.CreatedAt, before.UserID
	after.DecidedAt = dbTimePtr(after.DecidedAt)
	_, err = s.exec(ctx, tx, `UPDATE approvals SET kind = ?, state = ?, login = ?, label = ?, reason = ?,
		platform = ?, instance_id = ?, decided_at = ?, decided_by = ?, remark = ?, needs_mirror = ?,
		needs_unlock = ? WHERE id = ?`,
		after.Kind, after.State, after.Login, after.Label, after.Reason, after.Platform, after.InstanceID,
		s.timePtrArg(after.DecidedAt), after.DecidedBy, after.Remark, after.NeedsMirror, after.NeedsUnlock, id)
	if err != nil {
		return store.Approval{}, wrap(fmt.Sprintf("update approval %d", id), err)
	}
	return after, s.addEvents(ctx, tx, events)
}

// addEvents writes audit events inside a transaction.
func (s *Store) addEvents(ctx context.Context, tx *sql.Tx, events []store.AuditEvent) error {
	for _, e := range events {
		_, err := s.exec(ctx, tx,
			`INSERT INTO audit_events (at, subject, address, kind, outcome) VALUES (?, ?, ?, ?, ?)`,
			s.timeArg(s.nowOr(e.At)), e.Subject, e.Address, e.Kind, e.Outcome)
		if err != nil {
			return wrap("add audit event", err)
		}
	}
	return nil
}

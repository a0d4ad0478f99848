package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"xtraauth/store"
)

const devKeyColumns = `id, user_id, label, prefix, hash, created_at, last_used_at`

func scanDevKey(r rowScanner) (store.DevKey, error) {
	var k store.DevKey
	err := r.Scan(devKeyFields(&k)...)
	return k, err
}

// devKeyFields are the scan targets of devKeyColumns.
func devKeyFields(k *store.DevKey) []any {
	return []any{&k.ID, &k.UserID, &k.Label, &k.Prefix, &k.Hash,
		timeScan{&k.CreatedAt}, nullTimeScan{&k.LastUsedAt}}
}

// CreateDevKey implements store.DevKeys. A zero CreatedAt becomes now.
func (s *Store) CreateDevKey(ctx context.Context, k store.DevKey) (store.DevKey, error) {
	k.CreatedAt = s.nowOr(k.CreatedAt)
	k.LastUsedAt = dbTimePtr(k.LastUsedAt)
	err := s.queryRow(ctx, s.db, `INSERT INTO dev_keys (user_id, label, prefix, hash, created_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		k.UserID, k.Label, k.Prefix, k.Hash, s.timeArg(k.CreatedAt), s.timePtrArg(k.LastUsedAt),
	).Scan(&k.ID)
	if isForeignKeyViolation(err) {
		return store.DevKey{}, fmt.Errorf("create dev_key: user %d: %w", k.UserID, store.ErrNotFound)
	}
	if err != nil {
		return store.DevKey{}, wrap("create dev_key", err)
	}
	return k, nil
}

// GetDevKey implements store.DevKeys.
func (s *Store) GetDevKey(ctx context.Context, id int64) (store.DevKey, error) {
	k, err := scanDevKey(s.queryRow(ctx, s.db, `SELECT `+devKeyColumns+` FROM dev_keys WHERE id = ?`, id))
	return k, wrap(fmt.Sprintf("dev_key %d", id), err)
}

// devKeyUserQuery reads a key and its user by the key's hash.
var devKeyUserQuery = `SELECT k.id, k.user_id, k.label, k.prefix, k.hash, k.created_at, k.last_used_at, ` +
	columnsOf("u", userColumns) + ` FROM dev_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = ?`

// GetDevKeyUser implements store.DevKeys.
func (s *Store) GetDevKeyUser(ctx context.Context, hash string) (store.DevKey, store.User, error) {
	var (
		k store.DevKey
		u store.User
	)
	err := s.queryRow(ctx, s.db, devKeyUserQuery, hash).Scan(append(devKeyFields(&k), userFields(&u)...)...)
	// The hash is a credential's digest: keep it out of the message.
	return k, u, wrap("dev_key by hash", err)
}

// ListDevKeys implements store.DevKeys, oldest first.
func (s *Store) ListDevKeys(ctx context.Context, userID int64) ([]store.DevKey, error) {
	rows, err := s.query(ctx, s.db,
		`SELECT `+devKeyColumns+` FROM dev_keys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, wrap("list dev_keys", err)
	}
	defer rows.Close()
	keys := []store.DevKey{}
	for rows.Next() {
		k, err := scanDevKey(rows)
		if err != nil {
			return nil, wrap("list dev_keys", err)
		}
		keys = append(keys, k)
	}
	return keys, wrap("list dev_keys", rows.Err())
}

// DeleteDevKey implements store.DevKeys; ErrNotFound if there was no such key.
func (s *Store) DeleteDevKey(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, s.db, `DELETE FROM dev_keys WHERE id = ?`, id)
	return oneRow(res, err, fmt.Sprintf("delete dev_key %d", id))
}

// DeleteUserDevKeys implements store.DevKeys.
func (s *Store) DeleteUserDevKeys(ctx context.Context, userID int64) (int, error) {
	res, err := s.exec(ctx, s.db, `DELETE FROM dev_keys WHERE user_id = ?`, userID)
	if err != nil {
		return 0, wrap(fmt.Sprintf("delete dev_keys of user %d", userID), err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(fmt.Sprintf("delete dev_keys of user %d", userID), err)
}

// TouchDevKey implements store.DevKeys; ErrNotFound if there is no such key.
func (s *Store) TouchDevKey(ctx context.Context, id int64, at time.Time) error {
	res, err := s.exec(ctx, s.db, `UPDATE dev_keys SET last_used_at = ? WHERE id = ?`, s.timeArg(at), id)
	return oneRow(res, err, fmt.Sprintf("touch dev_key %d", id))
}

// oneRow turns a statement that touched no row into ErrNotFound.
func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return wrap(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

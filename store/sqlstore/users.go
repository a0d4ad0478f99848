package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"xtraauth/store"
)

const userColumns = `id, login, name, email, mobile, tel, extn_id, type, domain, context,
	password_hash, is_super, disabled, tenant_id, last_login_at, created_at, updated_at`

// superAdminLockID names the PostgreSQL advisory lock that serialises
// transactions which may leave no enabled super admin: without it, two
// transactions each disabling a different admin would both still see the
// other one enabled and both commit.
const superAdminLockID int64 = 0x7874726161757468 // "xtraauth"

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(r rowScanner) (store.User, error) {
	var u store.User
	err := r.Scan(userFields(&u)...)
	return u, err
}

// userFields are the scan targets of userColumns.
func userFields(u *store.User) []any {
	return []any{&u.ID, &u.Login, &u.Name, &u.Email, &u.Mobile, &u.Tel, &u.ExtnID, &u.Type,
		&u.Domain, &u.Context, &u.PasswordHash, &u.IsSuper, &u.Disabled, &u.TenantID,
		nullTimeScan{&u.LastLoginAt}, timeScan{&u.CreatedAt}, timeScan{&u.UpdatedAt}}
}

// columnsOf names each of columns as of the table alias, for a join.
func columnsOf(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// normalizeUser fills the defaults and rounds the times as they are stored.
func normalizeUser(u *store.User) {
	u.FillDefaults()
	u.LastLoginAt = dbTimePtr(u.LastLoginAt)
}

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	normalizeUser(&u)
	u.CreatedAt = s.nowOr(u.CreatedAt)
	u.UpdatedAt = u.CreatedAt
	err := s.queryRow(ctx, s.db, `INSERT INTO users (login, login_key, name, email, mobile, tel,
		extn_id, type, domain, context, password_hash, is_super, disabled, tenant_id,
		last_login_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Login, store.LoginKey(u.Login), u.Name, u.Email, u.Mobile, u.Tel, u.ExtnID, u.Type,
		u.Domain, u.Context, u.PasswordHash, u.IsSuper, u.Disabled, u.TenantID,
		s.timePtrArg(u.LastLoginAt), s.timeArg(u.CreatedAt), s.timeArg(u.UpdatedAt),
	).Scan(&u.ID)
	if err != nil {
		return store.User{}, wrap(fmt.Sprintf("create user %q", u.Login), err)
	}
	return u, nil
}

// GetUser implements store.Users.
func (s *Store) GetUser(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(s.queryRow(ctx, s.db, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	return u, wrap(fmt.Sprintf("user %d", id), err)
}

// GetUserByLogin implements store.Users.
func (s *Store) GetUserByLogin(ctx context.Context, login string) (store.User, error) {
	u, err := scanUser(s.queryRow(ctx, s.db,
		`SELECT `+userColumns+` FROM users WHERE login_key = ?`, store.LoginKey(login)))
	return u, wrap(fmt.Sprintf("user %q", login), err)
}

// GetUserByEmail implements store.UserFinder. It compares with the
// database's lower(), as the unique index on lower(email) does, so a match
// and a clash are the same thing; in SQLite lower() folds ASCII letters
// only. An empty email matches nobody and is not looked up.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	what := fmt.Sprintf("user with email %q", email)
	if email == "" {
		return store.User{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	u, err := scanUser(s.queryRow(ctx, s.db, `SELECT `+userColumns+
		` FROM users WHERE lower(email) = lower(?) AND email <> ''`, email))
	return u, wrap(what, err)
}

// GetUserByMobile implements store.UserFinder, matching exactly. An empty
// mobile matches nobody and is not looked up.
func (s *Store) GetUserByMobile(ctx context.Context, mobile string) (store.User, error) {
	what := fmt.Sprintf("user with mobile %q", mobile)
	if mobile == "" {
		return store.User{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	u, err := scanUser(s.queryRow(ctx, s.db, `SELECT `+userColumns+
		` FROM users WHERE mobile = ? AND mobile <> ''`, mobile))
	return u, wrap(what, err)
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter) ([]store.User, int, error) {
	where, args := userWhere(f)
	var total int
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM users`+where, args...).Scan(&total)
	if err != nil {
		return nil, 0, wrap("count users", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.query(ctx, s.db,
		`SELECT `+userColumns+` FROM users`+where+` ORDER BY id LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, wrap("list users", err)
	}
	defer rows.Close()
	users := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, wrap("list users", err)
		}
		users = append(users, u)
	}
	return users, total, wrap("list users", rows.Err())
}

// userWhere builds the WHERE clause of f. Login is compared with login_key,
// lower-cased in Go like the key itself; Name with the database's lower(),
// which in SQLite folds ASCII letters only.
func userWhere(f store.UserFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Login != "" {
		conds = append(conds, `login_key LIKE ? ESCAPE '!'`)
		args = append(args, containsPattern(store.LoginKey(f.Login)))
	}
	if f.Name != "" {
		conds = append(conds, `lower(name) LIKE lower(?) ESCAPE '!'`)
		args = append(args, containsPattern(f.Name))
	}
	if f.Type != "" {
		conds = append(conds, `type = ?`)
		args = append(args, f.Type)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// containsPattern is a LIKE pattern matching s anywhere, with LIKE's own
// wildcards in s taken literally. The escape is '!' rather than a backslash,
// whose meaning in a PostgreSQL literal depends on
// standard_conforming_strings.
func containsPattern(s string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return "%" + r.Replace(s) + "%"
}

// page turns a filter's Limit and Offset into LIMIT and OFFSET values;
// Limit 0 means all rows (SQLite wants a LIMIT before any OFFSET).
func page(limit, offset int) (int64, int64) {
	l := int64(limit)
	if l <= 0 {
		l = math.MaxInt64
	}
	return l, int64(max(offset, 0))
}

// UpdateUser implements store.Users. The row is locked for the whole
// read-modify-write (FOR UPDATE in PostgreSQL; SQLite transactions take
// the write lock at BEGIN), so concurrent updates never lose each other.
// If update changes UpdatedAt its value is kept, else UpdatedAt becomes now.
func (s *Store) UpdateUser(ctx context.Context, id int64, update func(*store.User) error) (store.User, error) {
	var after store.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := s.lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		after = before
		if err := update(&after); err != nil {
			return err // the caller's own error, unwrapped
		}
		after.ID, after.CreatedAt = before.ID, before.CreatedAt
		normalizeUser(&after)
		if after.UpdatedAt.Equal(before.UpdatedAt) {
			after.UpdatedAt = time.Time{}
		}
		after.UpdatedAt = s.nowOr(after.UpdatedAt)
		removing := isActiveSuper(before) && !isActiveSuper(after)
		if removing {
			if err := s.lockSuperAdmins(ctx, tx); err != nil {
				return err
			}
		}
		if err := s.writeUser(ctx, tx, after); err != nil {
			return err
		}
		if removing {
			return s.checkSuperAdminLeft(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	return after, nil
}

func (s *Store) writeUser(ctx context.Context, tx *sql.Tx, u store.User) error {
	_, err := s.exec(ctx, tx, `UPDATE users SET login = ?, login_key = ?, name = ?, email = ?,
		mobile = ?, tel = ?, extn_id = ?, type = ?, domain = ?, context = ?, password_hash = ?,
		is_super = ?, disabled = ?, tenant_id = ?, last_login_at = ?, updated_at = ?
		WHERE id = ?`,
		u.Login, store.LoginKey(u.Login), u.Name, u.Email, u.Mobile, u.Tel, u.ExtnID, u.Type,
		u.Domain, u.Context, u.PasswordHash, u.IsSuper, u.Disabled, u.TenantID,
		s.timePtrArg(u.LastLoginAt), s.timeArg(u.UpdatedAt), u.ID)
	return wrap(fmt.Sprintf("update user %d", u.ID), err)
}

// DeleteUser implements store.Users.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		u, err := s.lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		removing := isActiveSuper(u)
		if removing {
			if err := s.lockSuperAdmins(ctx, tx); err != nil {
				return err
			}
		}
		// REFERENCES ... ON DELETE CASCADE would do this too, but only on
		// connections that enforce foreign keys; say it outright.
		if _, err := s.exec(ctx, tx, `DELETE FROM dev_keys WHERE user_id = ?`, id); err != nil {
			return wrap(fmt.Sprintf("delete dev_keys of user %d", id), err)
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM users WHERE id = ?`, id); err != nil {
			return wrap(fmt.Sprintf("delete user %d", id), err)
		}
		if removing {
			return s.checkSuperAdminLeft(ctx, tx)
		}
		return nil
	})
}

// CountUsers implements store.Users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, wrap("count users", err)
}

// lockUser reads the row, locking it until the transaction ends.
func (s *Store) lockUser(ctx context.Context, tx *sql.Tx, id int64) (store.User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE id = ?`
	if s.dialect == DialectPostgres {
		q += ` FOR UPDATE`
	}
	u, err := scanUser(s.queryRow(ctx, tx, q, id))
	return u, wrap(fmt.Sprintf("user %d", id), err)
}

func isActiveSuper(u store.User) bool { return u.IsSuper && !u.Disabled }

// lockSuperAdmins serialises, in PostgreSQL, the transactions that may take
// away an enabled super admin (see superAdminLockID). It is taken after the
// row lock, in both UpdateUser and DeleteUser, so the order never inverts.
// SQLite needs nothing: its write transactions already run one at a time.
func (s *Store) lockSuperAdmins(ctx context.Context, tx *sql.Tx) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, superAdminLockID)
	return wrap("lock super admins", err)
}

// checkSuperAdminLeft fails the transaction if its own change left no
// enabled super admin.
func (s *Store) checkSuperAdminLeft(ctx context.Context, tx *sql.Tx) error {
	var n int
	err := s.queryRow(ctx, tx,
		`SELECT COUNT(*) FROM users WHERE is_super = ? AND disabled = ?`, true, false).Scan(&n)
	if err != nil {
		return wrap("count super admins", err)
	}
	if n == 0 {
		return store.ErrLastSuperAdmin
	}
	return nil
}

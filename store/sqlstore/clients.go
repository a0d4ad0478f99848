package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"xtraauth/store"
)

// clientSelect reads clients with their tenants, one row per tenant (one
// row with a NULL tenant for a client without any), in a single statement
// and so from a single snapshot.
const clientSelect = `SELECT c.id, c.secret_hash, c.may_sudo, c.created_at, t.tenant_id
	FROM oauth_clients c LEFT JOIN oauth_client_tenants t ON t.client_id = c.id`

// clientOrder orders clientSelect rows by client id, byte by byte in both
// dialects (PostgreSQL's default collation may order text otherwise), then
// by tenant id.
func (s *Store) clientOrder() string {
	if s.dialect == DialectPostgres {
		return ` ORDER BY c.id COLLATE "C", t.tenant_id`
	}
	return ` ORDER BY c.id, t.tenant_id`
}

// scanClients folds the rows of clientSelect, ordered by client id, into
// clients with their TenantIDs in the order the rows bring them.
func scanClients(rows *sql.Rows) ([]store.Client, error) {
	clients := []store.Client{}
	for rows.Next() {
		var c store.Client
		var tenantID sql.NullInt64
		if err := rows.Scan(&c.ID, &c.SecretHash, &c.MaySudo, timeScan{&c.CreatedAt}, &tenantID); err != nil {
			return nil, err
		}
		if n := len(clients); n == 0 || clients[n-1].ID != c.ID {
			c.TenantIDs = []int64{}
			clients = append(clients, c)
		}
		if tenantID.Valid {
			last := &clients[len(clients)-1]
			last.TenantIDs = append(last.TenantIDs, tenantID.Int64)
		}
	}
	return clients, rows.Err()
}

// clientTenantIDs is ids sorted, without repeats, and never nil: the form
// in which clients come back from the store.
func clientTenantIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	if out == nil {
		out = []int64{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateClient implements store.Clients. TenantIDs come back sorted and
// without repeats, as GetClient returns them; a zero CreatedAt becomes now.
// The client and its tenant rows are written in one transaction, so a
// missing tenant leaves nothing behind.
func (s *Store) CreateClient(ctx context.Context, c store.Client) (store.Client, error) {
	c.CreatedAt = s.nowOr(c.CreatedAt)
	c.TenantIDs = clientTenantIDs(c.TenantIDs)
	what := fmt.Sprintf("create client %q", c.ID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx,
			`INSERT INTO oauth_clients (id, secret_hash, may_sudo, created_at) VALUES (?, ?, ?, ?)`,
			c.ID, c.SecretHash, c.MaySudo, s.timeArg(c.CreatedAt))
		if err != nil {
			return wrap(what, err)
		}
		for _, tid := range c.TenantIDs {
			_, err := s.exec(ctx, tx,
				`INSERT INTO oauth_client_tenants (client_id, tenant_id) VALUES (?, ?)`, c.ID, tid)
			if isForeignKeyViolation(err) {
				return fmt.Errorf("%s: tenant %d: %w", what, tid, store.ErrNotFound)
			}
			if err != nil {
				return wrap(what, err)
			}
		}
		return nil
	})
	if err != nil {
		return store.Client{}, err
	}
	return c, nil
}

// GetClient implements store.Clients; TenantIDs come sorted, never nil.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	what := fmt.Sprintf("client %q", id)
	rows, err := s.query(ctx, s.db, clientSelect+` WHERE c.id = ?`+s.clientOrder(), id)
	if err != nil {
		return store.Client{}, wrap(what, err)
	}
	defer rows.Close()
	clients, err := scanClients(rows)
	if err != nil {
		return store.Client{}, wrap(what, err)
	}
	if len(clients) == 0 {
		return store.Client{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return clients[0], nil
}

// ListClients implements store.Clients, ordered by id (byte order).
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	rows, err := s.query(ctx, s.db, clientSelect+s.clientOrder())
	if err != nil {
		return nil, wrap("list clients", err)
	}
	defer rows.Close()
	clients, err := scanClients(rows)
	return clients, wrap("list clients", err)
}

// DeleteClient implements store.Clients; ErrNotFound if there was no such
// client. Its tenant rows go with it.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	what := fmt.Sprintf("delete client %q", id)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// ON DELETE CASCADE would do this too, but only on connections that
		// enforce foreign keys; say it outright.
		if _, err := s.exec(ctx, tx, `DELETE FROM oauth_client_tenants WHERE client_id = ?`, id); err != nil {
			return wrap(what, err)
		}
		res, err := s.exec(ctx, tx, `DELETE FROM oauth_clients WHERE id = ?`, id)
		return oneRow(res, err, what)
	})
}

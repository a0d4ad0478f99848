package sqlstore

import (
	"context"
	"fmt"

	"xtraauth/store"
)

const tenantColumns = `id, code, name, created_at`

func scanTenant(r rowScanner) (store.Tenant, error) {
	var t store.Tenant
	err := r.Scan(&t.ID, &t.Code, &t.Name, timeScan{&t.CreatedAt})
	return t, err
}

// CreateTenant implements store.Tenants. Codes are matched exactly. A zero
// CreatedAt becomes now.
func (s *Store) CreateTenant(ctx context.Context, t store.Tenant) (store.Tenant, error) {
	t.CreatedAt = s.nowOr(t.CreatedAt)
	err := s.queryRow(ctx, s.db,
		`INSERT INTO tenants (code, name, created_at) VALUES (?, ?, ?) RETURNING id`,
		t.Code, t.Name, s.timeArg(t.CreatedAt)).Scan(&t.ID)
	if err != nil {
		return store.Tenant{}, wrap(fmt.Sprintf("create tenant %q", t.Code), err)
	}
	return t, nil
}

// GetTenant implements store.Tenants.
func (s *Store) GetTenant(ctx context.Context, id int64) (store.Tenant, error) {
	t, err := scanTenant(s.queryRow(ctx, s.db, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id))
	return t, wrap(fmt.Sprintf("tenant %d", id), err)
}

// GetTenantByCode implements store.Tenants.
func (s *Store) GetTenantByCode(ctx context.Context, code string) (store.Tenant, error) {
	t, err := scanTenant(s.queryRow(ctx, s.db, `SELECT `+tenantColumns+` FROM tenants WHERE code = ?`, code))
	return t, wrap(fmt.Sprintf("tenant %q", code), err)
}

// ListTenants implements store.Tenants, ordered by id.
func (s *Store) ListTenants(ctx context.Context) ([]store.Tenant, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+tenantColumns+` FROM tenants ORDER BY id`)
	if err != nil {
		return nil, wrap("list tenants", err)
	}
	defer rows.Close()
	tenants := []store.Tenant{}
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, wrap("list tenants", err)
		}
		tenants = append(tenants, t)
	}
	return tenants, wrap("list tenants", rows.Err())
}

package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"xtraauth/store"
)

// CreateTenant implements store.Tenants. Codes are matched exactly; the
// ID is the store's, whatever t holds. A zero CreatedAt becomes now.
func (s *Store) CreateTenant(_ context.Context, t store.Tenant) (store.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.tenants {
		if o.Code == t.Code {
			return store.Tenant{}, alreadyExists("create tenant %q", t.Code)
		}
	}
	t.CreatedAt = s.nowOr(t.CreatedAt)
	t.ID = s.nextID(tableTenants)
	s.tenants[t.ID] = t
	return t, nil
}

// GetTenant implements store.Tenants.
func (s *Store) GetTenant(_ context.Context, id int64) (store.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[id]
	if !ok {
		return store.Tenant{}, notFound("tenant %d", id)
	}
	return t, nil
}

// GetTenantByCode implements store.Tenants.
func (s *Store) GetTenantByCode(_ context.Context, code string) (store.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tenants {
		if t.Code == code {
			return t, nil
		}
	}
	return store.Tenant{}, notFound("tenant %q", code)
}

// ListTenants implements store.Tenants, by id.
func (s *Store) ListTenants(context.Context) ([]store.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedValues(s.tenants, nil, same, func(a, b store.Tenant) int { return cmp.Compare(a.ID, b.ID) }), nil
}

// copyClient is c with its own TenantIDs, sorted, without repeats, never nil.
func copyClient(c store.Client) store.Client {
	ids := append([]int64{}, c.TenantIDs...)
	slices.Sort(ids)
	c.TenantIDs = slices.Compact(ids)
	return c
}

// CreateClient implements store.Clients. A zero CreatedAt becomes now.
func (s *Store) CreateClient(_ context.Context, c store.Client) (store.Client, error) {
	c = copyClient(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return store.Client{}, alreadyExists("create client %q", c.ID)
	}
	for _, id := range c.TenantIDs {
		if _, ok := s.tenants[id]; !ok {
			return store.Client{}, notFound("create client %q: tenant %d", c.ID, id)
		}
	}
	c.CreatedAt = s.nowOr(c.CreatedAt)
	s.clients[c.ID] = c
	return copyClient(c), nil
}

// GetClient implements store.Clients.
func (s *Store) GetClient(_ context.Context, id string) (store.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return store.Client{}, notFound("client %q", id)
	}
	return copyClient(c), nil
}

// ListClients implements store.Clients, by id (byte order).
func (s *Store) ListClients(context.Context) ([]store.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedValues(s.clients, nil, copyClient, func(a, b store.Client) int { return strings.Compare(a.ID, b.ID) }), nil
}

// DeleteClient implements store.Clients.
func (s *Store) DeleteClient(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return remove(s.clients, id, "delete client %q", id)
}

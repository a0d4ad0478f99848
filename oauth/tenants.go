package oauth

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"xtraauth/fault"
	"xtraauth/store"
)

// Errors of a tenant's fields.
var (
	ErrBadTenantCode = fault.New(fault.Invalid, "tenant code must be 1 to 64 characters without spaces or control characters")
	ErrBadTenantName = fault.New(fault.Invalid, "tenant name must be at most 255 bytes without control characters")
)

// CreateTenant adds a tenant; its name defaults to its code. The code is
// what clients send as tenantCode and the CLI takes with --tenant, so it
// holds no spaces.
func (s *Service) CreateTenant(ctx context.Context, code, name string) (store.Tenant, error) {
	if code == "" || len(code) > 64 || !utf8.ValidString(code) ||
		strings.ContainsFunc(code, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return store.Tenant{}, ErrBadTenantCode
	}
	if name == "" {
		name = code
	}
	if len(name) > 255 || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return store.Tenant{}, ErrBadTenantName
	}
	return s.d.Tenants.CreateTenant(ctx, store.Tenant{Code: code, Name: name, CreatedAt: s.d.Now().UTC()})
}

// Tenants lists every tenant, the default one first.
func (s *Service) Tenants(ctx context.Context) ([]store.Tenant, error) {
	return s.d.Tenants.ListTenants(ctx)
}

package memstore

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"xtraauth/store"
)

var (
	_ store.Users               = (*Store)(nil)
	_ store.UserFinder          = (*Store)(nil)
	_ store.DevKeys             = (*Store)(nil)
	_ store.Audit               = (*Store)(nil)
	_ store.AuditFeed           = (*Store)(nil)
	_ store.Tenants             = (*Store)(nil)
	_ store.Clients             = (*Store)(nil)
	_ store.Approvals           = (*Store)(nil)
	_ store.Outbox              = (*Store)(nil)
	_ store.Leases              = (*Store)(nil)
	_ store.IntegrationStatuses = (*Store)(nil)
	_ store.Settings            = (*Store)(nil)
	_ store.Sessions            = (*Store)(nil)
	_ store.Counters            = (*Store)(nil)
	_ store.Captchas            = (*Store)(nil)
	_ store.AccessTokens        = (*Store)(nil)
)

// Store is every store of package store, in memory. The zero value is not
// usable; call New.
type Store struct {
	now func() time.Time

	// writer lets one updater (UpdateUser, DeleteUser, UpdateApproval,
	// ClaimApproval) at a time read, change and write back its row, as a
	// SQL transaction holding the write lock would. It is taken before mu.
	writer sync.Mutex

	mu sync.Mutex
	// ids hands out row ids per table, never the same twice.
	ids map[string]int64

	users        map[int64]store.User
	devKeys      map[int64]store.DevKey
	tenants      map[int64]store.Tenant
	clients      map[string]store.Client
	audit        []store.AuditEvent // in id order
	approvals    map[int64]store.Approval
	deliveries   map[int64]store.Delivery
	cursors      map[string]int64
	leases       map[string]lease
	integrations map[string]store.IntegrationStatus
	settings     map[string]string

	sessions map[string]expiring[store.Session]
	ended    map[int64]expiring[struct{}] // users whose sessions were ended lately
	tokens   map[string]expiring[store.AccessToken]
	failures map[string]expiring[int]
	locks    map[string]time.Time // when each lock ends
	hits     map[string]expiring[int64]
	captchas map[int64]expiring[store.Captcha]
	newest   map[newestKey]expiring[int64]
}

// New returns a store on the clock now, empty but for the default tenant,
// made at now as the SQL migration makes it.
func New(now func() time.Time) *Store {
	s := &Store{
		now:          now,
		ids:          map[string]int64{},
		users:        map[int64]store.User{},
		devKeys:      map[int64]store.DevKey{},
		tenants:      map[int64]store.Tenant{},
		clients:      map[string]store.Client{},
		approvals:    map[int64]store.Approval{},
		deliveries:   map[int64]store.Delivery{},
		cursors:      map[string]int64{},
		leases:       map[string]lease{},
		integrations: map[string]store.IntegrationStatus{},
		settings:     map[string]string{},
		sessions:     map[string]expiring[store.Session]{},
		ended:        map[int64]expiring[struct{}]{},
		tokens:       map[string]expiring[store.AccessToken]{},
		failures:     map[string]expiring[int]{},
		locks:        map[string]time.Time{},
		hits:         map[string]expiring[int64]{},
		captchas:     map[int64]expiring[store.Captcha]{},
		newest:       map[newestKey]expiring[int64]{},
	}
	s.tenants[store.DefaultTenantID] = store.Tenant{ID: store.DefaultTenantID, Code: "default", Name: "Default",
		CreatedAt: dbTime(now())}
	s.ids[tableTenants] = store.DefaultTenantID
	return s
}

// Table names for ids.
const (
	tableUsers      = "users"
	tableDevKeys    = "dev_keys"
	tableTenants    = "tenants"
	tableAudit      = "audit_events"
	tableApprovals  = "approvals"
	tableDeliveries = "deliveries"
)

// nextID is the next id of table; s.mu must be held.
func (s *Store) nextID(table string) int64 {
	s.ids[table]++
	return s.ids[table]
}

// dbTime is t as the SQL stores keep it: UTC, to the millisecond.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// dbTimePtr is dbTime for a nullable time; it copies, so the result never
// aliases the caller's time.
func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}

// nowOr is t, or the clock's now when t is zero, as stored.
func (s *Store) nowOr(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return dbTime(t)
}

// page is the part of rows a filter's Offset and Limit select (Limit 0:
// all), never nil.
func page[T any](rows []T, offset, limit int) []T {
	offset = min(max(offset, 0), len(rows))
	rows = rows[offset:]
	if limit > 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	return append(make([]T, 0, len(rows)), rows...)
}

// sortedValues copies out the values of m that keep accepts (nil keeps
// all), through copyOf, ordered by order.
func sortedValues[K comparable, V any](m map[K]V, keep func(V) bool, copyOf func(V) V, order func(a, b V) int) []V {
	out := []V{}
	for _, v := range m {
		if keep == nil || keep(v) {
			out = append(out, copyOf(v))
		}
	}
	slices.SortFunc(out, order)
	return out
}

// remove deletes m[k], or says what was not found.
func remove[K comparable, V any](m map[K]V, k K, format string, args ...any) error {
	if _, ok := m[k]; !ok {
		return notFound(format, args...)
	}
	delete(m, k)
	return nil
}

func same[V any](v V) V { return v }

func notFound(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrNotFound)...)
}

func alreadyExists(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrAlreadyExists)...)
}

package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xtraauth/internal/testkit"
	"xtraauth/store"
	"xtraauth/store/conformance"
	"xtraauth/store/sqlstore"
)

func newSQLite(t *testing.T) *sqlstore.Store { return newSQLiteAt(t, time.Now) }

func newSQLiteAt(t *testing.T, now func() time.Time) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), "", t.TempDir(), now)
	if err != nil {
		t.Fatalf("Open SQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pgSchemaURL creates a fresh schema for one test, dropped when it ends,
// and returns the test database URL pointed at it. It skips the test when
// no PostgreSQL server is configured.
func pgSchemaURL(t *testing.T) string {
	t.Helper()
	base := testkit.DatabaseURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open XTRA_TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "xt_" + randomHex(t)
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse XTRA_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func newPostgres(t *testing.T) *sqlstore.Store { return newPostgresAt(t, time.Now) }

func newPostgresAt(t *testing.T, now func() time.Time) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), pgSchemaURL(t), "", now)
	if err != nil {
		t.Fatalf("Open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func asDurable(open func(*testing.T, func() time.Time) *sqlstore.Store) func(*testing.T, func() time.Time) conformance.Durable {
	return func(t *testing.T, now func() time.Time) conformance.Durable { return open(t, now) }
}

func TestSQLiteDurable(t *testing.T) {
	conformance.RunDurable(t, asDurable(newSQLiteAt))
}

func TestSQLiteDurableConcurrency(t *testing.T) {
	conformance.RunDurableConcurrency(t, asDurable(newSQLiteAt))
}

func TestPostgresDurable(t *testing.T) {
	conformance.RunDurable(t, asDurable(newPostgresAt))
}

func TestPostgresDurableConcurrency(t *testing.T) {
	conformance.RunDurableConcurrency(t, asDurable(newPostgresAt))
}

// dialects runs f against each configured database.
func dialects(t *testing.T, f func(t *testing.T, open func(*testing.T) *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, newSQLite) })
	t.Run("postgres", func(t *testing.T) { f(t, newPostgres) })
}

func TestDialect(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *sqlstore.Store{
		sqlstore.DialectSQLite: newSQLite, sqlstore.DialectPostgres: newPostgres,
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			if got := s.Dialect(); got != name {
				t.Errorf("Dialect() = %q, want %q", got, name)
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if s.DB() == nil {
				t.Error("DB() is nil")
			}
		})
	}
}

func TestGetOrCreateSetting(t *testing.T) {
	dialects(t, func(t *testing.T, open func(*testing.T) *sqlstore.Store) {
		s := open(t)
		ctx := t.Context()
		got, err := s.GetOrCreateSetting(ctx, "jwt_key", "first")
		if err != nil || got != "first" {
			t.Fatalf("GetOrCreateSetting new = %q, %v; want first", got, err)
		}
		got, err = s.GetOrCreateSetting(ctx, "jwt_key", "second")
		if err != nil || got != "first" {
			t.Fatalf("GetOrCreateSetting existing = %q, %v; want first", got, err)
		}

		// Racing first starts all end up with one value.
		var mu sync.Mutex
		seen := map[string]bool{}
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				v, err := s.GetOrCreateSetting(ctx, "race", string(rune('a'+i)))
				if err != nil {
					t.Errorf("GetOrCreateSetting: %v", err)
				}
				mu.Lock()
				seen[v] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(seen) != 1 {
			t.Errorf("racing GetOrCreateSetting returned %d values, want 1", len(seen))
		}
	})
}

func TestUpdateUserKeepsUpdatedAtFromUpdate(t *testing.T) {
	dialects(t, func(t *testing.T, open func(*testing.T) *sqlstore.Store) {
		s := open(t)
		ctx := t.Context()
		created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		u, err := s.CreateUser(ctx, store.User{Login: "alice", CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		later := created.Add(time.Hour)
		u, err = s.UpdateUser(ctx, u.ID, func(x *store.User) error { x.UpdatedAt = later; return nil })
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !u.UpdatedAt.Equal(later) || !got.UpdatedAt.Equal(later) {
			t.Errorf("UpdatedAt = %v (stored %v), want %v", u.UpdatedAt, got.UpdatedAt, later)
		}
	})
}

func TestOpenSQLiteCreatesPrivateDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%d", "data")
	s, err := sqlstore.Open(t.Context(), "", dir, time.Now)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data directory mode %o, want 700", perm)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlstore.SQLiteFile)); err != nil {
		t.Errorf("database file: %v", err)
	}
}

// TestSQLiteFilesArePrivate: the database and the files SQLite makes beside
// it hold password hashes and the JWT secret, so only their owner may read
// them, in an existing world-readable directory and for files an older
// version made readable too.
func TestSQLiteFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, sqlstore.SQLiteFile)
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(t.Context(), "", dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetOrCreateSetting(t.Context(), "k", "v"); err != nil { // a write, so the WAL exists
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, sqlstore.SQLiteFile+"*"))
	if err != nil || len(files) < 3 {
		t.Fatalf("files %v, %v; want the database, its WAL and index, its migration lock", files, err)
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(f), perm)
		}
	}
}

// TestOpenConcurrentlyMigratesOnce starts several stores at once on one
// empty database, as several server processes would.
func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		openConcurrently(t, func() (*sqlstore.Store, error) { return sqlstore.Open(t.Context(), "", dir, time.Now) })
	})
	t.Run("postgres", func(t *testing.T) {
		u := pgSchemaURL(t)
		openConcurrently(t, func() (*sqlstore.Store, error) { return sqlstore.Open(t.Context(), u, "", time.Now) })
	})
}

func openConcurrently(t *testing.T, open func() (*sqlstore.Store, error)) {
	const n = 8
	stores := make([]*sqlstore.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = open() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var applied int
	err := stores[0].DB().QueryRowContext(t.Context(),
		`SELECT COUNT(*) FROM goose_db_version WHERE version_id = 1`).Scan(&applied)
	if err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("migration 1 recorded %d times, want 1", applied)
	}
	var tenants int
	err = stores[0].DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM tenants`).Scan(&tenants)
	if err != nil || tenants != 1 {
		t.Errorf("tenants: %d rows, %v; want the default one", tenants, err)
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"mysql://root:secret@localhost/x", `unsupported database scheme "mysql"`},
		{"sqlite:///tmp/x.db", `unsupported database scheme "sqlite"`},
		{"localhost:5432", "not a database URL"},
	} {
		_, err := sqlstore.Open(t.Context(), tc.url, t.TempDir(), time.Now)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error shows the password: %v", tc.url, err)
		}
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	// 192.0.2.0/24 is reserved for documentation: nothing answers there.
	const u = "postgres://xtra:secret@192.0.2.1:5432/xtra?sslmode=disable&connect_timeout=1"
	start := time.Now()
	_, err := sqlstore.Open(t.Context(), u, "", time.Now)
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v to fail, want a few seconds at most", d)
	}
	if !strings.Contains(err.Error(), "connect to PostgreSQL") || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open error = %v, want it to name the connection and hide the password", err)
	}
}

// TestCreateClientRepeatedTenants: a tenant named twice is kept once, and
// CreateClient returns the tenants as GetClient will.
func TestCreateClientRepeatedTenants(t *testing.T) {
	dialects(t, func(t *testing.T, open func(*testing.T) *sqlstore.Store) {
		s := open(t)
		ctx := t.Context()
		acme, err := s.CreateTenant(ctx, store.Tenant{Code: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		in := []int64{acme.ID, store.DefaultTenantID, acme.ID}
		c, err := s.CreateClient(ctx, store.Client{ID: "svc", SecretHash: "h", TenantIDs: in})
		if err != nil {
			t.Fatalf("CreateClient: %v", err)
		}
		want := []int64{store.DefaultTenantID, acme.ID}
		got, err := s.GetClient(ctx, "svc")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.TenantIDs, want) || !slices.Equal(got.TenantIDs, want) {
			t.Errorf("TenantIDs: CreateClient %v, GetClient %v; want %v", c.TenantIDs, got.TenantIDs, want)
		}
		if in[0] != acme.ID || in[2] != acme.ID {
			t.Errorf("CreateClient changed the caller's slice: %v", in)
		}
	})
}

func asIntegrations(open func(*testing.T, func() time.Time) *sqlstore.Store) func(*testing.T, func() time.Time) conformance.Integrations {
	return func(t *testing.T, now func() time.Time) conformance.Integrations { return open(t, now) }
}

func TestSQLiteIntegrations(t *testing.T) {
	conformance.RunIntegrations(t, asIntegrations(newSQLiteAt))
}

func TestPostgresIntegrations(t *testing.T) {
	conformance.RunIntegrations(t, asIntegrations(newPostgresAt))
}

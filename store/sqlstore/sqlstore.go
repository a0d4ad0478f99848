package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"xtraauth/store"
)

// Dialect names, as reported by (*Store).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// SQLiteFile is the database file Open creates in the data directory.
const SQLiteFile = "xtraauth.db"

// sqliteParams: wait for locks instead of failing at once, let readers run
// beside the writer (WAL), sync the WAL at checkpoints rather than at every
// commit (with WAL this never corrupts the database; a power cut may lose
// the last commits, as it may lose Redis's sessions), enforce REFERENCES,
// and take the write lock at BEGIN so two read-then-write transactions
// cannot deadlock on upgrade.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
	"&_pragma=foreign_keys(1)&_txlock=immediate"

// defaultConnectTimeout bounds each PostgreSQL connection attempt when the
// URL sets no connect_timeout, so a wrong host fails start-up instead of
// hanging on the operating system's TCP timeout.
const defaultConnectTimeout = 10 * time.Second

// Store is the SQL implementation of store.Users, store.UserFinder,
// store.DevKeys, store.Audit, store.Tenants and store.Clients. It is safe
// for concurrent use.
type Store struct {
	db      *sql.DB
	dialect string
	now     func() time.Time // the time of rows made without one
	// stmts holds a prepared statement per query text run outside a
	// transaction, so a hot query is parsed once per connection, not once
	// per call. The texts are constants of this package (filters only pick
	// among fixed clauses), so the map stays small.
	stmts sync.Map // string → *sql.Stmt
}

// DefaultPool is the default size of the connection pool.
const DefaultPool = 16

// SetPool sizes the connection pool: at most n open connections, all of
// which stay open when idle. database/sql keeps 2 idle ones by default, so
// under load nearly every query would open a connection, which for SQLite
// means reading the schema again. PostgreSQL connections are also recycled
// after an hour and closed after 5 idle minutes, so a failover or a
// restarted pooler is picked up.
func (s *Store) SetPool(n int) {
	s.db.SetMaxOpenConns(n)
	s.db.SetMaxIdleConns(n)
	if s.dialect == DialectPostgres {
		s.db.SetConnMaxLifetime(time.Hour)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
	}
}

var (
	_ store.Users      = (*Store)(nil)
	_ store.UserFinder = (*Store)(nil)
	_ store.DevKeys    = (*Store)(nil)
	_ store.Audit      = (*Store)(nil)
	_ store.Tenants    = (*Store)(nil)
	_ store.Clients    = (*Store)(nil)
)

// Open connects to the database and brings its schema up to date. An empty
// databaseURL means the SQLite file <dataDir>/xtraauth.db (dataDir is
// created if missing); a postgres:// or postgresql:// URL means PostgreSQL.
// now is the time of rows written without one.
func Open(ctx context.Context, databaseURL, dataDir string, now func() time.Time) (*Store, error) {
	switch {
	case databaseURL == "":
		return openSQLite(ctx, dataDir, now)
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(ctx, databaseURL, now)
	}
	// Name only the scheme: the rest of the URL may hold a password.
	if scheme, _, ok := strings.Cut(databaseURL, "://"); ok {
		return nil, fmt.Errorf("unsupported database scheme %q: use postgres:// or postgresql://, or leave it empty for SQLite", scheme)
	}
	return nil, errors.New("not a database URL: use postgres://user:password@host:port/dbname, or leave it empty for SQLite")
}

func openSQLite(ctx context.Context, dataDir string, now func() time.Time) (*Store, error) {
	if dataDir == "" {
		return nil, errors.New("no data directory for the SQLite database")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dataDir, SQLiteFile))
	if err != nil {
		return nil, fmt.Errorf("SQLite database path: %w", err)
	}
	if err := makePrivate(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", sqliteDSN(path, sqliteParams))
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	s := &Store{db: db, dialect: DialectSQLite, now: now}
	s.SetPool(DefaultPool)
	if err := pingSQLite(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	if err := s.migrate(ctx, newFileLocker(path+".migrate-lock")); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate SQLite database %s: %w", path, err)
	}
	return s, nil
}

// makePrivate creates the database file, and its lock and log files if
// they exist, readable by this user only: they hold password hashes and
// the JWT secret. SQLite gives the files it makes (the WAL, its index) the
// database file's mode, so the file is made before SQLite opens it.
func makePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create SQLite database %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".migrate-lock"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("make %s private: %w", p, err)
		}
	}
	return nil
}

// pingSQLite opens the first connection. Processes starting together on a
// new file race to switch it to WAL, and SQLite reports the loser's
// SQLITE_BUSY at once instead of waiting; so wait here, within the same
// bound as busy_timeout.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) {
			return err
		}
		if err := pause(ctx); err != nil {
			return err
		}
	}
}

// pause waits a little before a retry, or until ctx is done.
func pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Millisecond):
		return nil
	}
}

// sqliteDSN makes a file: URI, escaping the path so that a '?', '#' or '%'
// in a directory name cannot be taken for the start of the parameters.
func sqliteDSN(path, params string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	return "file://" + (&url.URL{Path: p}).EscapedPath() + "?" + params
}

func openPostgres(ctx context.Context, databaseURL string, now func() time.Time) (*Store, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	s := &Store{db: stdlib.OpenDB(*cfg), dialect: DialectPostgres, now: now}
	s.SetPool(DefaultPool)
	if err := s.Ping(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	locker, err := postgresLocker()
	if err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.migrate(ctx, locker); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("migrate PostgreSQL database: %w", err)
	}
	return s, nil
}

// DB is the underlying pool, for health checks and tools.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect reports DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the prepared statements and the pool.
func (s *Store) Close() error {
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// rebind turns the '?' placeholders every query is written with into $1..$n
// for PostgreSQL. Queries carry no '?' inside string literals.
func (s *Store) rebind(query string) string {
	if s.dialect != DialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	q, query = s.on(ctx, q, query)
	return q.ExecContext(ctx, query, args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	q, query = s.on(ctx, q, query)
	return q.QueryContext(ctx, query, args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	q, query = s.on(ctx, q, query)
	return q.QueryRowContext(ctx, query, args...)
}

// on picks what runs query, and the text to give it: its prepared
// statement, or q itself when preparing failed (q then reports the
// failure). Within a transaction only a statement already prepared is used,
// bound to it: preparing takes a second connection, and transactions
// holding every connection of the pool would wait for one forever.
func (s *Store) on(ctx context.Context, q querier, query string) (querier, string) {
	if tx, ok := q.(*sql.Tx); ok {
		if st, ok := s.stmts.Load(query); ok {
			return prepared{tx.StmtContext(ctx, st.(*sql.Stmt))}, "" // closed with the transaction
		}
		return q, s.rebind(query)
	}
	st, err := s.prepare(ctx, query)
	if err != nil {
		return q, s.rebind(query)
	}
	return prepared{st}, ""
}

func (s *Store) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, s.rebind(query))
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		st = old.(*sql.Stmt)
	}
	return st, nil
}

// prepared runs one statement; the query text it is given is its own.
type prepared struct{ st *sql.Stmt }

func (p prepared) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return p.st.ExecContext(ctx, args...)
}

func (p prepared) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return p.st.QueryContext(ctx, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return p.st.QueryRowContext(ctx, args...)
}

// inTx runs fn in one transaction, committing only if fn succeeds.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// GetOrCreateSetting stores value under key unless the key already has one,
// and returns the stored value. Concurrent callers all get the same value.
func (s *Store) GetOrCreateSetting(ctx context.Context, key, value string) (string, error) {
	_, err := s.exec(ctx, s.db,
		`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value)
	if err != nil {
		return "", fmt.Errorf("setting %q: %w", key, err)
	}
	var stored string
	err = s.queryRow(ctx, s.db, `SELECT value FROM settings WHERE key = ?`, key).Scan(&stored)
	if err != nil {
		return "", fmt.Errorf("setting %q: %w", key, err)
	}
	return stored, nil
}

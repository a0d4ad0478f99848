package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// migrate applies the pending migrations of s's dialect. locker keeps two
// processes starting on one empty database from migrating it twice.
func (s *Store) migrate(ctx context.Context, locker lock.SessionLocker) error {
	gooseDialect := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		gooseDialect = goose.DialectPostgres
	}
	fsys, err := fs.Sub(migrations, "migrations/"+s.dialect)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(gooseDialect, s.db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true), // only our own migrations
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// postgresLocker holds a session advisory lock while migrating, polling
// every second for up to five minutes.
func postgresLocker() (lock.SessionLocker, error) {
	return lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
}

// fileLocker serialises migrations of one SQLite database by holding a
// write transaction on a small side file. The database itself cannot carry
// the lock: goose needs it writable, and exclusive locking mode in WAL waits
// for every other connection, even idle ones of a running server, to go
// away. SQLite's file locks die with the process, so a crash mid-migration
// leaves nothing stale behind.
type fileLocker struct {
	path string
	db   *sql.DB
	tx   *sql.Tx
}

func newFileLocker(path string) *fileLocker { return &fileLocker{path: path} }

var _ lock.SessionLocker = (*fileLocker)(nil)

// lockWait bounds how long a process waits for another one's migration.
const lockWait = 5 * time.Minute

// SessionLock ignores conn: the lock lives on the side file.
func (l *fileLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	if err := makePrivate(l.path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", sqliteDSN(l.path, "_pragma=busy_timeout(1000)&_txlock=immediate"))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	wait, cancel := context.WithTimeout(ctx, lockWait) // for waiting only: the lock outlives this call
	defer cancel()
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err == nil {
			l.db, l.tx = db, tx
			return nil
		}
		if isBusy(err) {
			err = pause(wait)
		}
		if err != nil {
			db.Close()
			return fmt.Errorf("lock %s: %w", l.path, err)
		}
	}
}

// SessionUnlock ends the transaction and closes the side file.
func (l *fileLocker) SessionUnlock(context.Context, *sql.Conn) error {
	if l.db == nil {
		return nil
	}
	err := errors.Join(l.tx.Rollback(), l.db.Close())
	l.db, l.tx = nil, nil
	return err
}

func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

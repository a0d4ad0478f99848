package sqlstore

import (
	"fmt"
	"time"
)

// Times are kept to the millisecond, in UTC: SQLite stores them as INTEGER
// unix milliseconds, PostgreSQL as timestamptz (microseconds). Truncating
// before writing makes what a method returns equal what a later read finds,
// in both dialects.

func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// nowOr returns t, or the store's clock's now if t is zero, as stored.
func (s *Store) nowOr(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return dbTime(t)
}

// timeArg is how t is passed to the database.
func (s *Store) timeArg(t time.Time) any {
	if s.dialect == DialectSQLite {
		return dbTime(t).UnixMilli()
	}
	return dbTime(t)
}

// timePtrArg is timeArg for a nullable column.
func (s *Store) timePtrArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.timeArg(*t)
}

// dbTimePtr is dbTime for a nullable value; it copies, so the result never
// aliases the caller's time.
func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}

// timeScan reads a time column of either dialect into *T.
type timeScan struct{ t *time.Time }

func (d timeScan) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*d.t = time.UnixMilli(v).UTC()
	case time.Time:
		*d.t = v.UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// nullTimeScan reads a nullable time column into **T.
type nullTimeScan struct{ t **time.Time }

func (d nullTimeScan) Scan(src any) error {
	if src == nil {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (timeScan{&t}).Scan(src); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

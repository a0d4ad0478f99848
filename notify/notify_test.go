package notify_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xtraauth/internal/testkit"
	"xtraauth/notify"
	"xtraauth/store"
	"xtraauth/store/sqlstore"
)

// robot records what it is sent, and can be made to fail.
type robot struct {
	mu   sync.Mutex
	got  []string
	fail error
}

func (r *robot) Send(_ context.Context, _ store.User, msg notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, msg.Text)
	return nil
}

func (r *robot) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

type leader struct{}

func (leader) Held(context.Context) (bool, error) { return true, nil }

type noMetrics struct{}

func (noMetrics) Notification(string, string) {}

func newSender(db *sqlstore.Store, r *robot, c *testkit.Clock) *notify.Sender {
	return notify.New(notify.Deps{Store: db, Users: db, Channels: map[string]notify.Channel{notify.DingTalkRobot: r},
		Lease: leader{}, Timeout: time.Second, Now: c.Now, Metrics: noMetrics{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// lockRow writes the audit row of a lock from address, with a chosen id
// when id is not zero.
func lockRow(t *testing.T, db *sqlstore.Store, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, id int64, address string) {
	t.Helper()
	at := testkit.Start.UnixMilli()
	var err error
	args := []any{at, "ghost", address, "lock", "locked until later"}
	if db.Dialect() == sqlstore.DialectPostgres {
		args[0] = time.UnixMilli(at).UTC()
	}
	if id != 0 {
		_, err = q.ExecContext(context.Background(), rebind(db,
			`INSERT INTO audit_events (id, at, subject, address, kind, outcome) VALUES (?, ?, ?, ?, ?, ?)`), append([]any{id}, args...)...)
	} else {
		_, err = q.ExecContext(context.Background(), rebind(db,
			`INSERT INTO audit_events (at, subject, address, kind, outcome) VALUES (?, ?, ?, ?, ?)`), args...)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func rebind(db *sqlstore.Store, q string) string {
	if db.Dialect() != sqlstore.DialectPostgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + string(rune('0'+n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func tick(t *testing.T, s *notify.Sender) {
	t.Helper()
	if err := s.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func cursor(t *testing.T, db *sqlstore.Store) int64 {
	t.Helper()
	pos, err := db.Cursor(context.Background(), notify.CursorName)
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

func wantSent(t *testing.T, r *robot, addresses ...string) {
	t.Helper()
	got := r.texts()
	if len(got) != len(addresses) {
		t.Fatalf("sent %d: %q, want %v", len(got), got, addresses)
	}
	for i, a := range addresses {
		if !strings.Contains(got[i], "from "+a+".") {
			t.Fatalf("message %d is %q, want the lock from %s", i, got[i], a)
		}
	}
}

func openSQLite(t *testing.T) *sqlstore.Store {
	db, err := sqlstore.Open(context.Background(), "", t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCursorWaitsForAHole: a row missing below a later one holds the
// cursor back (the later row is delivered meanwhile) until it shows up, or
// for GapGrace when it never does.
func TestCursorWaitsForAHole(t *testing.T) {
	db := openSQLite(t)
	r, c := &robot{}, testkit.NewClock()
	s := newSender(db, r, c)
	lockRow(t, db, db.DB(), 0, "192.0.2.1")
	lockRow(t, db, db.DB(), 0, "192.0.2.2")
	lockRow(t, db, db.DB(), 4, "192.0.2.4")
	tick(t, s)
	wantSent(t, r, "192.0.2.1", "192.0.2.2", "192.0.2.4")
	if pos := cursor(t, db); pos != 2 {
		t.Fatalf("cursor at %d, want 2 (3 is missing)", pos)
	}
	lockRow(t, db, db.DB(), 3, "192.0.2.3")
	tick(t, s)
	wantSent(t, r, "192.0.2.1", "192.0.2.2", "192.0.2.4", "192.0.2.3")
	if pos := cursor(t, db); pos != 4 {
		t.Fatalf("cursor at %d, want 4", pos)
	}

	// A hole that never fills (a rolled-back insert) is given up after the grace.
	lockRow(t, db, db.DB(), 7, "192.0.2.7")
	tick(t, s)
	c.Advance(notify.GapGrace - time.Second)
	tick(t, s)
	if pos := cursor(t, db); pos != 4 {
		t.Fatalf("cursor at %d before the grace", pos)
	}
	c.Advance(time.Second)
	tick(t, s)
	if pos := cursor(t, db); pos != 7 {
		t.Fatalf("cursor at %d after the grace, want 7", pos)
	}
	wantSent(t, r, "192.0.2.1", "192.0.2.2", "192.0.2.4", "192.0.2.3", "192.0.2.7")
}

// TestStartSkipsHistory: a first start does not replay the audit trail;
// later starts keep the cursor.
func TestStartSkipsHistory(t *testing.T) {
	db := openSQLite(t)
	r, c := &robot{}, testkit.NewClock()
	c.Set(time.Now())
	lockRow(t, db, db.DB(), 0, "192.0.2.1")
	s := newSender(db, r, c)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	lockRow(t, db, db.DB(), 0, "192.0.2.2")
	tick(t, s)
	wantSent(t, r, "192.0.2.2")
	lockRow(t, db, db.DB(), 0, "192.0.2.3")
	if err := newSender(db, r, c).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	tick(t, s)
	wantSent(t, r, "192.0.2.2", "192.0.2.3")
}

// TestBackoff: retries wait 1 s, 2 s, 4 s... at most 30 s apart.
func TestBackoff(t *testing.T) {
	db := openSQLite(t)
	r, c := &robot{fail: errors.New("down")}, testkit.NewClock()
	s := newSender(db, r, c)
	lockRow(t, db, db.DB(), 0, "192.0.2.1")
	var waits []time.Duration
	last := c.Now()
	for range 9 {
		tick(t, s)
		due, err := db.DueDeliveries(context.Background(), c.Now().Add(time.Hour), 1)
		if err != nil || len(due) != 1 {
			t.Fatalf("due %v, %v", due, err)
		}
		waits = append(waits, due[0].NextAt.Sub(last))
		c.Advance(due[0].NextAt.Sub(c.Now()))
		last = c.Now()
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
}

// TestCursorOnPostgreSQL: a transaction that took an id and commits after
// a later one is not skipped.
func TestCursorOnPostgreSQL(t *testing.T) {
	db := openPostgres(t, testkit.DatabaseURL(t))
	r, c := &robot{}, testkit.NewClock()
	s := newSender(db, r, c)
	lockRow(t, db, db.DB(), 0, "192.0.2.1")
	slow, err := db.DB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback() //nolint:errcheck // committed below
	// This row takes id 2 and commits only after id 3.
	lockRow(t, db, slow, 0, "192.0.2.2")
	lockRow(t, db, db.DB(), 0, "192.0.2.3")
	tick(t, s)
	wantSent(t, r, "192.0.2.1", "192.0.2.3")
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	tick(t, s)
	wantSent(t, r, "192.0.2.1", "192.0.2.3", "192.0.2.2")
	if pos := cursor(t, db); pos != 3 {
		t.Fatalf("cursor at %d, want 3", pos)
	}
}

func openPostgres(t *testing.T, base string) *sqlstore.Store {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "xt_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sqlstore.Open(context.Background(), u.String(), "", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestAFailingChannelDoesNotStarveOthers: a platform that is down holds
// back its own deliveries only, however many are queued.
func TestAFailingChannelDoesNotStarveOthers(t *testing.T) {
	db := openSQLite(t)
	down, up := &robot{fail: errors.New("HTTP 500")}, &robot{}
	c := testkit.NewClock()
	s := notify.New(notify.Deps{Store: db, Users: db,
		Channels: map[string]notify.Channel{notify.DingTalkRobot: down, notify.FeishuRobot: up},
		Lease:    leader{}, Timeout: time.Second, Now: c.Now, Metrics: noMetrics{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for range 150 {
		lockRow(t, db, db.DB(), 0, "192.0.2.1")
	}
	tick(t, s)
	tick(t, s)
	tick(t, s)
	if got := len(up.texts()); got != 150 {
		t.Fatalf("the working robot got %d of 150", got)
	}
	pending, err := db.PendingDeliveries(context.Background())
	if err != nil || pending[notify.DingTalkRobot] != 150 || pending[notify.FeishuRobot] != 0 {
		t.Fatalf("pending %v, %v", pending, err)
	}
}

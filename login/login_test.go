package login_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"xtraauth/account"
	"xtraauth/internal/testkit"
	"xtraauth/login"
	"xtraauth/session"
	"xtraauth/store"
	"xtraauth/store/memstore"
)

// racingSessions runs meanwhile once, just before the first session is
// stored: as a change an admin makes while a login is between checking the
// password and storing the session.
type racingSessions struct {
	store.Sessions
	meanwhile func()
}

func (r *racingSessions) CreateSession(ctx context.Context, digest string, s store.Session) (bool, error) {
	if f := r.meanwhile; f != nil {
		r.meanwhile = nil
		f()
	}
	return r.Sessions.CreateSession(ctx, digest, s)
}

type fixture struct {
	store    *memstore.Store
	clock    *testkit.Clock
	sessions *session.Manager
	login    *login.Service
	race     *racingSessions
	alice    store.User
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	clock := testkit.NewClock()
	st := memstore.New(clock.Now)
	race := &racingSessions{Sessions: st}
	accounts, err := account.New(ctx, account.Deps{Users: st, DevKeys: st, Tenants: st, Sessions: st,
		Gate: account.OpenGate{}, Hasher: account.NewHasher(account.HashParams(testkit.CheapHash), 2, time.Second, clock.Now, nil), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := accounts.Create(ctx, store.User{Login: "alice"}, "alice-password")
	if err != nil {
		t.Fatal(err)
	}
	// A login just recorded needs no write, which would read her again.
	if alice, err = accounts.RecordLogin(ctx, alice); err != nil {
		t.Fatal(err)
	}
	sessions := session.NewManager(race, time.Hour, clock.Now)
	return &fixture{store: st, clock: clock, sessions: sessions,
		login: login.New(accounts, sessions, clock.Now), race: race, alice: alice}
}

// update changes alice as package account does: the row, then an end to
// her sessions.
func (f *fixture) update(t *testing.T, change func(*store.User)) {
	ctx := context.Background()
	_, err := f.store.UpdateUser(ctx, f.alice.ID, func(u *store.User) error { change(u); return nil })
	if err != nil {
		t.Error(err)
	}
	if err := f.race.Sessions.DeleteUserSessions(ctx, f.alice.ID, ""); err != nil {
		t.Error(err)
	}
}

func (f *fixture) logIn() (login.Result, error) {
	req := login.Request{Attempt: account.Attempt{Login: "alice", Address: "192.0.2.1"}, Password: "alice-password"}
	return f.login.Login(context.Background(), req, session.KindXSwitch)
}

// A change stored after the password check but before the session carries
// the identity into no session: the login reads the user again and makes
// the session anew with what it finds, or none for a disabled user.
func TestLoginRacingAChange(t *testing.T) {
	t.Run("made admin meanwhile", func(t *testing.T) {
		f := newFixture(t)
		f.race.meanwhile = func() { f.update(t, func(u *store.User) { u.IsSuper = true }) }
		res, err := f.logIn()
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.sessions.Lookup(context.Background(), store.Digest(res.Token))
		if err != nil || !s.User.IsSuper || !res.User.IsSuper {
			t.Fatalf("session %+v, %v; result %+v: want the new identity", s.User, err, res.User)
		}
	})
	for name, change := range map[string]func(*store.User){
		"disabled meanwhile": func(u *store.User) { u.Disabled = true },
		// the old password must not outlive its change, even by a login
		// that was checking it at that moment
		"password changed meanwhile": func(u *store.User) { u.PasswordHash = "$argon2id$the-new-one" },
	} {
		t.Run(name, func(t *testing.T) { testNoSessionAfter(t, change) })
	}
	t.Run("refresh, made admin meanwhile long after the read", func(t *testing.T) {
		// The mark of ended sessions is gone by the time the session is
		// stored, so only the age of the read tells the refresh to read
		// again. (A login that old is due to be recorded, which reads.)
		f := newFixture(t)
		r, err := f.login.StartRefresh(context.Background(), f.alice)
		if err != nil {
			t.Fatal(err)
		}
		f.race.meanwhile = func() {
			f.clock.Advance(store.EndedLately)
			f.update(t, func(u *store.User) { u.IsSuper = true })
			f.clock.Advance(store.EndedLately) // the store's clock too: the mark ends
		}
		res, err := f.login.Refresh(context.Background(), store.Digest(r.Token), session.KindDMS)
		if err != nil || !res.Session.User.IsSuper {
			t.Fatalf("%+v, %v: want the new identity", res.Session.User, err)
		}
	})
	t.Run("nothing meanwhile", func(t *testing.T) {
		f := newFixture(t)
		res, err := f.logIn()
		if err != nil || res.Session.User != store.IdentityOf(f.alice) {
			t.Fatalf("%+v, %v", res.Session.User, err)
		}
	})
}

// testNoSessionAfter: a login racing change gets no session, and the one
// it made meanwhile is ended.
func testNoSessionAfter(t *testing.T, change func(*store.User)) {
	f := newFixture(t)
	var digest string
	f.race.meanwhile = func() { f.update(t, change) }
	f.race.Sessions = &recordDigest{Sessions: f.race.Sessions, digest: &digest}
	if _, err := f.logIn(); !errors.Is(err, login.ErrWrongCredentials) {
		t.Fatalf("login racing the change: %v, want ErrWrongCredentials", err)
	}
	if _, err := f.sessions.Lookup(context.Background(), digest); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the session made meanwhile lingers: %v", err)
	}
}

type recordDigest struct {
	store.Sessions
	digest *string
}

func (r *recordDigest) CreateSession(ctx context.Context, digest string, s store.Session) (bool, error) {
	*r.digest = digest
	return r.Sessions.CreateSession(ctx, digest, s)
}

package account_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xtraauth/account"
	"xtraauth/app/apptest"
	"xtraauth/internal/testkit"
	"xtraauth/store"
	"xtraauth/store/memstore"
	"xtraauth/store/sqlstore"
)

// newService opens a service on a fresh (or the given) SQLite directory;
// hashes counts every run of the hasher.
func newService(t *testing.T, dir string, hashes *atomic.Int64) (*account.Service, *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	if dir == "" {
		dir = t.TempDir()
	}
	db, err := sqlstore.Open(ctx, "", dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var observe func(time.Duration)
	if hashes != nil {
		observe = func(time.Duration) { hashes.Add(1) }
	}
	s, err := account.New(ctx, account.Deps{
		Users: db, DevKeys: db, Sessions: memstore.New(testkit.NewClock().Now), Gate: account.OpenGate{},
		Hasher: account.NewHasher(account.HashParams(testkit.CheapHash), 4, 5*time.Second, time.Now, observe), Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

func TestBcryptImportedUserIsRehashed(t *testing.T) {
	ctx := context.Background()
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run(prefix, func(t *testing.T) {
			e := apptest.New(t)
			u := e.AddUser("imported", "unused", false)
			raw, err := bcrypt.GenerateFromPassword([]byte("old-system-pw"), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			bc := prefix + string(raw[4:])
			if _, err := e.App.SQL.UpdateUser(ctx, u.ID, func(u *store.User) error { u.PasswordHash = bc; return nil }); err != nil {
				t.Fatal(err)
			}
			stored := func() string {
				t.Helper()
				got, err := e.App.SQL.GetUser(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got.PasswordHash
			}

			// a wrong password leaves the imported hash alone
			if r := e.Do("POST", "/api/sessions", map[string]any{"login": "imported", "password": "wrong"}); r.Status != 403 {
				t.Fatalf("wrong password: %d %s", r.Status, r.Body)
			}
			if stored() != bc {
				t.Fatalf("hash changed on a wrong password: %s", stored())
			}

			e.Login("imported", "old-system-pw")
			after := stored()
			if !strings.HasPrefix(after, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("hash after a good login: %s", after)
			}
			e.Login("imported", "old-system-pw") // the new hash holds the same password
			if stored() != after {
				t.Fatalf("an argon2id hash with current params was replaced")
			}
			if r := e.Do("POST", "/api/sessions", map[string]any{"login": "imported", "password": "wrong"}); r.Status != 403 {
				t.Fatalf("wrong password after the upgrade: %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	t.Run("twice", func(t *testing.T) {
		s, db := newService(t, "", nil)
		created, generated, err := s.EnsureAdmin(ctx, "admin", "given-pw")
		if err != nil || !created || generated != "" {
			t.Fatalf("first: %v %q %v", created, generated, err)
		}
		created, generated, err = s.EnsureAdmin(ctx, "other", "")
		if err != nil || created || generated != "" {
			t.Fatalf("second: %v %q %v", created, generated, err)
		}
		if n, err := db.CountUsers(ctx); err != nil || n != 1 {
			t.Fatalf("%d users (%v)", n, err)
		}
		u, ok, err := s.CheckPassword(ctx, account.Attempt{Login: "admin"}, "given-pw")
		if err != nil || !ok || !u.IsSuper || u.Disabled {
			t.Fatalf("admin: %+v %v %v", u, ok, err)
		}
	})
	t.Run("generated password", func(t *testing.T) {
		s, _ := newService(t, "", nil)
		created, generated, err := s.EnsureAdmin(ctx, "root", "")
		if err != nil || !created || len(generated) < 12 {
			t.Fatalf("%v %q %v", created, generated, err)
		}
		if _, ok, err := s.CheckPassword(ctx, account.Attempt{Login: "root"}, generated); err != nil || !ok {
			t.Fatalf("the generated password does not log in: %v %v", ok, err)
		}
		s2, _ := newService(t, "", nil)
		_, other, err := s2.EnsureAdmin(ctx, "root", "")
		if err != nil || other == generated {
			t.Fatalf("two generated passwords are equal: %q (%v)", other, err)
		}
	})

	concurrently := func(t *testing.T, services []*account.Service, db *sqlstore.Store) {
		t.Helper()
		const n = 16
		var wg sync.WaitGroup
		var winners atomic.Int64
		passwords := make(chan string, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				created, generated, err := services[i%len(services)].EnsureAdmin(ctx, "admin", "")
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
					return
				}
				if created != (generated != "") {
					t.Errorf("caller %d: created %v with password %q", i, created, generated)
				}
				if created {
					winners.Add(1)
					passwords <- generated
				}
			}()
		}
		close(start)
		wg.Wait()
		close(passwords)
		if winners.Load() != 1 {
			t.Fatalf("%d callers report created, want 1", winners.Load())
		}
		if c, err := db.CountUsers(ctx); err != nil || c != 1 {
			t.Fatalf("%d users (%v)", c, err)
		}
		if _, ok, err := services[0].CheckPassword(ctx, account.Attempt{Login: "admin"}, <-passwords); err != nil || !ok {
			t.Fatalf("the winner's password does not log in: %v %v", ok, err)
		}
	}
	t.Run("concurrently in one process", func(t *testing.T) {
		s, db := newService(t, "", nil)
		concurrently(t, []*account.Service{s}, db)
	})
	t.Run("concurrently in two processes on one database", func(t *testing.T) {
		dir := t.TempDir()
		a, db := newService(t, dir, nil)
		b, _ := newService(t, dir, nil)
		concurrently(t, []*account.Service{a, b}, db)
	})
}

func TestEveryPasswordCheckPaysOneHash(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		setup    func(t *testing.T, s *account.Service, db *sqlstore.Store)
		login    string
		password string
		ok       bool
	}{
		{"unknown login", nil, "nobody", "pw", false},
		{"unknown login, empty password", nil, "nobody", "", false},
		{"known login, wrong password", nil, "alice", "wrong", false},
		{"known login, right password", nil, "alice", "pw-alice", true},
		{"known login in upper case", nil, "ALICE", "pw-alice", true},
		{"disabled user, right password", func(t *testing.T, s *account.Service, _ *sqlstore.Store) {
			if err := s.Disable(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
		}, "alice", "pw-alice", false},
		{"user without a password", func(t *testing.T, _ *account.Service, db *sqlstore.Store) {
			if _, err := db.CreateUser(ctx, store.User{Login: "nopw", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}, "nopw", "", false},
		{"user with a garbage hash", func(t *testing.T, _ *account.Service, db *sqlstore.Store) {
			if _, err := db.CreateUser(ctx, store.User{Login: "garbage", PasswordHash: "$2a$garbage", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}, "garbage", "pw", false},
		{"user with a garbage argon2id hash", func(t *testing.T, _ *account.Service, db *sqlstore.Store) {
			if _, err := db.CreateUser(ctx, store.User{Login: "garbage", PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$$", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}, "garbage", "pw", false},
		{"user with an unknown hash format", func(t *testing.T, _ *account.Service, db *sqlstore.Store) {
			if _, err := db.CreateUser(ctx, store.User{Login: "garbage", PasswordHash: "{SSHA}abc", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}, "garbage", "pw", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hashes atomic.Int64
			s, db := newService(t, "", &hashes)
			if _, err := s.Create(ctx, store.User{Login: "alice", Name: "alice"}, "pw-alice"); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, s, db)
			}
			before := hashes.Load()
			u, ok, err := s.CheckPassword(ctx, account.Attempt{Login: tt.login, Address: "192.0.2.1"}, tt.password)
			if err != nil || ok != tt.ok {
				t.Fatalf("ok=%v err=%v, want ok=%v", ok, err, tt.ok)
			}
			if ok != (u.ID != 0) {
				t.Fatalf("user %+v with ok=%v", u, ok)
			}
			if got := hashes.Load() - before; got != 1 {
				t.Fatalf("the hasher ran %d times, want 1", got)
			}
		})
	}
	t.Run("New hashes the dummy once", func(t *testing.T) {
		var hashes atomic.Int64
		newService(t, "", &hashes)
		if hashes.Load() != 1 {
			t.Fatalf("%d hashes", hashes.Load())
		}
	})
}

// changingUsers changes the password of the first user it is asked for,
// right after reading them: as a password change made while a login hashes.
type changingUsers struct {
	*memstore.Store
	once sync.Once
	to   string
}

func (c *changingUsers) GetUserByLogin(ctx context.Context, login string) (store.User, error) {
	u, err := c.Store.GetUserByLogin(ctx, login)
	c.once.Do(func() {
		if _, err := c.UpdateUser(ctx, u.ID, func(u *store.User) error { u.PasswordHash = c.to; return nil }); err != nil {
			panic(err)
		}
	})
	return u, err
}

// TestUpgradeKeepsAPasswordChangedMeanwhile: the upgrade of an imported
// hash replaces only the hash it verified, never a new password.
func TestUpgradeKeepsAPasswordChangedMeanwhile(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock()
	st := memstore.New(clock.Now)
	raw, err := bcrypt.GenerateFromPassword([]byte("old-system-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{Login: "imported", PasswordHash: string(raw)})
	if err != nil {
		t.Fatal(err)
	}
	users := &changingUsers{Store: st, to: "$argon2id$the-new-password"}
	s, err := account.New(ctx, account.Deps{Users: users, DevKeys: st, Sessions: st, Gate: account.OpenGate{},
		Hasher: account.NewHasher(account.HashParams(testkit.CheapHash), 1, time.Second, clock.Now, nil), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	checked, ok, err := s.CheckPassword(ctx, account.Attempt{Login: "imported"}, "old-system-pw")
	if err != nil || !ok || checked.PasswordHash != string(raw) {
		t.Fatalf("check against the hash read: %v %v, hash %q", ok, err, checked.PasswordHash)
	}
	if now, err := st.GetUser(ctx, u.ID); err != nil || now.PasswordHash != users.to {
		t.Fatalf("stored hash %q (%v), want the one changed meanwhile", now.PasswordHash, err)
	}
}

package conformance

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"xtraauth/store"
)

// Durable is the state kept in SQL: users, dev_keys, the audit trail,
// tenants and OAuth2 clients.
type Durable interface {
	store.Users
	store.UserFinder
	store.DevKeys
	store.Audit
	store.Tenants
	store.Clients
}

// durableBase is the creation time most durable tests pass in: an odd zone
// and sub-millisecond digits check that stores return UTC and keep
// milliseconds.
var durableBase = time.Date(2024, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("UTC+8", 8*3600))

// RunDurable checks every method and sentinel error of a durable store.
// newStore returns a fresh, empty store; it is called once per subtest.
func RunDurable(t *testing.T, newStore func(t *testing.T, now func() time.Time) Durable) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Durable)
	}{
		{"CreateGetUser", testDurableCreateGetUser},
		{"UserDefaults", testDurableUserDefaults},
		{"UniqueLoginEmailMobile", testDurableUnique},
		{"ListUsers", testDurableListUsers},
		{"UpdateUser", testDurableUpdateUser},
		{"UpdateUserErrors", testDurableUpdateUserErrors},
		{"LastSuperAdmin", testDurableLastSuperAdmin},
		{"DeleteUser", testDurableDeleteUser},
		{"DevKeys", testDurableDevKeys},
		{"DevKeyErrors", testDurableDevKeyErrors},
		{"DeleteUserDevKeys", testDurableDeleteUserDevKeys},
		{"Audit", testDurableAudit},
		{"AuditPrune", testDurableAuditPrune},
		{"Tenants", testDurableTenants},
		{"Clients", testDurableClients},
		{"ClientErrors", testDurableClientErrors},
		{"UserFinder", testDurableUserFinder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t, durableClock))
		})
	}
}

func durNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func durWantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// durSameTime: stores keep milliseconds, so got may lag want by less than
// one; it must be in UTC.
func durSameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: time %v is not in UTC", what, got)
	}
	if d := got.Sub(want); d <= -time.Millisecond || d >= time.Millisecond {
		t.Errorf("%s: time %v, want %v (±1ms)", what, got, want)
	}
}

func durSameTimePtr(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s: time %v, want %v", what, got, want)
	default:
		durSameTime(t, what, *got, *want)
	}
}

// durableNow is the time of the stores' clock in these suites, to the
// millisecond as stored.
var durableNow = time.Date(2025, 6, 7, 8, 9, 10, 123_000_000, time.UTC)

func durableClock() time.Time { return durableNow }

// durAtNow checks that a time the store took from its clock is that
// clock's now, in UTC.
func durAtNow(t *testing.T, what string, got time.Time) {
	t.Helper()
	if got.Location() != time.UTC || !got.Equal(durableNow) {
		t.Errorf("%s: time %v, want the store clock's %v in UTC", what, got, durableNow)
	}
}

func durSameUser(t *testing.T, what string, got, want store.User) {
	t.Helper()
	durSameTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	durSameTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	durSameTimePtr(t, what+" LastLoginAt", got.LastLoginAt, want.LastLoginAt)
	got.CreatedAt, got.UpdatedAt, got.LastLoginAt = time.Time{}, time.Time{}, nil
	want.CreatedAt, want.UpdatedAt, want.LastLoginAt = time.Time{}, time.Time{}, nil
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func durSameDevKey(t *testing.T, what string, got, want store.DevKey) {
	t.Helper()
	durSameTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	durSameTimePtr(t, what+" LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	got.CreatedAt, got.LastUsedAt = time.Time{}, nil
	want.CreatedAt, want.LastUsedAt = time.Time{}, nil
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// durCreate creates a user with the given login and, unless set, the
// durableBase creation time.
func durCreate(t *testing.T, s Durable, u store.User) store.User {
	t.Helper()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = durableBase
	}
	got, err := s.CreateUser(t.Context(), u)
	durNoErr(t, "CreateUser "+u.Login, err)
	return got
}

func durGet(t *testing.T, s Durable, id int64) store.User {
	t.Helper()
	u, err := s.GetUser(t.Context(), id)
	durNoErr(t, fmt.Sprintf("GetUser %d", id), err)
	return u
}

func durWantCount(t *testing.T, s Durable, want int) {
	t.Helper()
	n, err := s.CountUsers(t.Context())
	durNoErr(t, "CountUsers", err)
	if n != want {
		t.Errorf("CountUsers = %d, want %d", n, want)
	}
}

func testDurableCreateGetUser(t *testing.T, s Durable) {
	ctx := t.Context()
	durWantCount(t, s, 0)
	last := durableBase.Add(-time.Hour)
	in := store.User{
		Login: "Admin", Name: "The Admin", Email: "admin@example.com", Mobile: "+8613800000000",
		Tel: "1000", ExtnID: "1000", Type: store.UserTypeAgent, Domain: "xswitch.cn",
		Context: "default", PasswordHash: "$argon2id$v=19$hash", IsSuper: true,
		TenantID: store.DefaultTenantID, LastLoginAt: &last, CreatedAt: durableBase,
	}
	u, err := s.CreateUser(ctx, in)
	durNoErr(t, "CreateUser", err)
	if u.ID <= 0 {
		t.Fatalf("CreateUser: ID %d, want > 0", u.ID)
	}
	want := in
	want.ID, want.UpdatedAt = u.ID, in.CreatedAt
	durSameUser(t, "CreateUser", u, want)
	durSameUser(t, "GetUser", durGet(t, s, u.ID), want)

	for _, login := range []string{"Admin", "admin", "ADMIN", "aDmIn"} {
		got, err := s.GetUserByLogin(ctx, login)
		durNoErr(t, "GetUserByLogin "+login, err)
		durSameUser(t, "GetUserByLogin "+login, got, want)
	}
	_, err = s.GetUser(ctx, u.ID+1000)
	durWantErr(t, "GetUser of a missing id", err, store.ErrNotFound)
	_, err = s.GetUserByLogin(ctx, "nobody")
	durWantErr(t, "GetUserByLogin of a missing login", err, store.ErrNotFound)
	durWantCount(t, s, 1)

	other := durCreate(t, s, store.User{Login: "other"})
	if other.ID == u.ID {
		t.Errorf("two users share ID %d", u.ID)
	}
	durWantCount(t, s, 2)
}

func testDurableUserDefaults(t *testing.T, s Durable) {
	u, err := s.CreateUser(t.Context(), store.User{Login: "plain"})
	durNoErr(t, "CreateUser", err)
	if u.TenantID != store.DefaultTenantID || u.Type != store.UserTypeNormal {
		t.Errorf("CreateUser defaults: TenantID %d Type %q, want %d %q",
			u.TenantID, u.Type, store.DefaultTenantID, store.UserTypeNormal)
	}
	if u.IsSuper || u.Disabled || u.LastLoginAt != nil {
		t.Errorf("CreateUser defaults: %+v", u)
	}
	durAtNow(t, "CreatedAt of zero", u.CreatedAt)
	durSameTime(t, "UpdatedAt", u.UpdatedAt, u.CreatedAt)
	durSameUser(t, "GetUser", durGet(t, s, u.ID), u)
}

func testDurableUnique(t *testing.T, s Durable) {
	ctx := t.Context()
	durCreate(t, s, store.User{Login: "alice", Email: "alice@example.com", Mobile: "111"})
	for _, u := range []store.User{
		{Login: "alice"},
		{Login: "ALICE"},
		{Login: "Alice", Email: "other@example.com"},
		{Login: "bob", Email: "alice@example.com"},
		{Login: "carol", Mobile: "111"},
	} {
		_, err := s.CreateUser(ctx, u)
		durWantErr(t, fmt.Sprintf("CreateUser %+v", u), err, store.ErrAlreadyExists)
	}
	// Empty email and mobile mean "none", and many users have none.
	durCreate(t, s, store.User{Login: "dave"})
	durCreate(t, s, store.User{Login: "erin"})
	durWantCount(t, s, 3)
}

func testDurableListUsers(t *testing.T, s Durable) {
	var all []store.User
	for _, u := range []store.User{
		{Login: "alice", Name: "Alice Liddell"},
		{Login: "Bob", Name: "Bob Builder", Type: store.UserTypeAgent},
		{Login: "carol", Name: "Carol ALICEson", Type: store.UserTypeAgent},
		{Login: "a_b", Name: "Under Score"},
		{Login: "axb", Name: "100% Sure"},
		{Login: "dave", Name: "Dave"},
		{Login: "wow!", Name: "Bang"},
	} {
		all = append(all, durCreate(t, s, u))
	}
	pick := func(idx ...int) []store.User {
		var us []store.User
		for _, i := range idx {
			us = append(us, all[i])
		}
		return us
	}
	for _, tc := range []struct {
		f     store.UserFilter
		want  []store.User
		total int
	}{
		{store.UserFilter{}, all, 7},
		{store.UserFilter{Login: "AL"}, pick(0), 1},
		{store.UserFilter{Login: "b"}, pick(1, 3, 4), 3},
		{store.UserFilter{Name: "alice"}, pick(0, 2), 2},
		{store.UserFilter{Type: store.UserTypeAgent}, pick(1, 2), 2},
		{store.UserFilter{Type: "agent"}, nil, 0},
		{store.UserFilter{Login: "B", Type: store.UserTypeAgent}, pick(1), 1},
		{store.UserFilter{Login: "a_b"}, pick(3), 1},
		{store.UserFilter{Name: "%"}, pick(4), 1},
		{store.UserFilter{Login: "!"}, pick(6), 1},
		{store.UserFilter{Login: "zzz"}, nil, 0},
		{store.UserFilter{Limit: 2}, pick(0, 1), 7},
		{store.UserFilter{Offset: 2, Limit: 2}, pick(2, 3), 7},
		{store.UserFilter{Offset: 4, Limit: 10}, pick(4, 5, 6), 7},
		{store.UserFilter{Offset: 3}, pick(3, 4, 5, 6), 7},
		{store.UserFilter{Offset: 7, Limit: 2}, nil, 7},
		{store.UserFilter{Name: "alice", Offset: 1, Limit: 1}, pick(2), 2},
	} {
		got, total, err := s.ListUsers(t.Context(), tc.f)
		what := fmt.Sprintf("ListUsers %+v", tc.f)
		durNoErr(t, what, err)
		if total != tc.total || len(got) != len(tc.want) {
			t.Errorf("%s: %d users of %d, want %d of %d", what, len(got), total, len(tc.want), tc.total)
			continue
		}
		for i := range got {
			durSameUser(t, what, got[i], tc.want[i])
		}
	}
}

func testDurableUpdateUser(t *testing.T, s Durable) {
	ctx := t.Context()
	u := durCreate(t, s, store.User{Login: "alice", Name: "Alice", Context: "c1"})
	last := durableBase.Add(time.Hour)
	got, err := s.UpdateUser(ctx, u.ID, func(x *store.User) error {
		durSameUser(t, "UpdateUser sees", *x, u)
		x.Name, x.Email, x.Mobile, x.Tel, x.ExtnID = "Alice L.", "alice@example.com", "222", "1001", "1001"
		x.Type, x.Domain, x.Context, x.PasswordHash = store.UserTypeAgent, "example.com", "c2", "new-hash"
		x.Disabled, x.LastLoginAt = true, &last
		x.ID, x.CreatedAt = u.ID+1000, time.Time{} // neither may change
		return nil
	})
	durNoErr(t, "UpdateUser", err)
	want := u
	want.Name, want.Email, want.Mobile, want.Tel, want.ExtnID = "Alice L.", "alice@example.com", "222", "1001", "1001"
	want.Type, want.Domain, want.Context, want.PasswordHash = store.UserTypeAgent, "example.com", "c2", "new-hash"
	want.Disabled, want.LastLoginAt, want.UpdatedAt = true, &last, got.UpdatedAt
	durSameUser(t, "UpdateUser", got, want)
	durAtNow(t, "UpdateUser UpdatedAt", got.UpdatedAt)
	durSameUser(t, "GetUser after UpdateUser", durGet(t, s, u.ID), want)

	// A login change moves the case-insensitive lookup with it.
	got, err = s.UpdateUser(ctx, u.ID, func(x *store.User) error {
		x.Login, x.LastLoginAt = "Alicia", nil
		return nil
	})
	durNoErr(t, "UpdateUser login", err)
	if got.Login != "Alicia" || got.LastLoginAt != nil {
		t.Errorf("UpdateUser login: %+v", got)
	}
	byLogin, err := s.GetUserByLogin(ctx, "ALICIA")
	durNoErr(t, "GetUserByLogin ALICIA", err)
	durSameUser(t, "GetUserByLogin ALICIA", byLogin, got)
	_, err = s.GetUserByLogin(ctx, "alice")
	durWantErr(t, "GetUserByLogin old login", err, store.ErrNotFound)

	// Changing only the case of one's own login is no conflict.
	_, err = s.UpdateUser(ctx, u.ID, func(x *store.User) error { x.Login = "ALICIA"; return nil })
	durNoErr(t, "UpdateUser login case", err)
	if g := durGet(t, s, u.ID); g.Login != "ALICIA" {
		t.Errorf("login after case change = %q", g.Login)
	}
	// The freed login can be taken by someone else.
	durCreate(t, s, store.User{Login: "Alice"})
}

func testDurableUpdateUserErrors(t *testing.T, s Durable) {
	ctx := t.Context()
	u := durCreate(t, s, store.User{Login: "alice", Name: "Alice", Email: "alice@example.com"})
	durCreate(t, s, store.User{Login: "bob", Email: "bob@example.com", Mobile: "333"})

	boom := errors.New("boom")
	_, err := s.UpdateUser(ctx, u.ID, func(x *store.User) error {
		x.Name = "changed"
		return boom
	})
	durWantErr(t, "UpdateUser with failing update", err, boom)
	durSameUser(t, "user after aborted update", durGet(t, s, u.ID), u)

	for what, change := range map[string]func(*store.User){
		"login":  func(x *store.User) { x.Login = "BOB" },
		"email":  func(x *store.User) { x.Email = "bob@example.com" },
		"mobile": func(x *store.User) { x.Mobile = "333" },
	} {
		_, err := s.UpdateUser(ctx, u.ID, func(x *store.User) error { change(x); return nil })
		durWantErr(t, "UpdateUser to a taken "+what, err, store.ErrAlreadyExists)
	}
	durSameUser(t, "user after refused updates", durGet(t, s, u.ID), u)

	called := false
	_, err = s.UpdateUser(ctx, u.ID+1000, func(*store.User) error { called = true; return nil })
	durWantErr(t, "UpdateUser of a missing id", err, store.ErrNotFound)
	if called {
		t.Error("UpdateUser called update for a missing id")
	}
}

func durSetSuper(ctx context.Context, s Durable, id int64, isSuper, disabled bool) error {
	_, err := s.UpdateUser(ctx, id, func(x *store.User) error {
		x.IsSuper, x.Disabled = isSuper, disabled
		return nil
	})
	return err
}

func testDurableLastSuperAdmin(t *testing.T, s Durable) {
	ctx := t.Context()
	// With no super admin at all, ordinary changes go through.
	normal := durCreate(t, s, store.User{Login: "user"})
	durNoErr(t, "disable a user with no super admin around", durSetSuper(ctx, s, normal.ID, false, true))

	root := durCreate(t, s, store.User{Login: "root", IsSuper: true})
	durWantErr(t, "disable the last super admin", durSetSuper(ctx, s, root.ID, true, true), store.ErrLastSuperAdmin)
	durWantErr(t, "demote the last super admin", durSetSuper(ctx, s, root.ID, false, false), store.ErrLastSuperAdmin)
	durWantErr(t, "delete the last super admin", s.DeleteUser(ctx, root.ID), store.ErrLastSuperAdmin)
	durSameUser(t, "last super admin after refusals", durGet(t, s, root.ID), root)
	_, err := s.UpdateUser(ctx, root.ID, func(x *store.User) error { x.Name = "Root"; return nil })
	durNoErr(t, "rename the last super admin", err)

	// A disabled super admin does not count.
	off := durCreate(t, s, store.User{Login: "off", IsSuper: true, Disabled: true})
	durWantErr(t, "disable the last enabled super admin", durSetSuper(ctx, s, root.ID, true, true), store.ErrLastSuperAdmin)

	second := durCreate(t, s, store.User{Login: "second", IsSuper: true})
	durNoErr(t, "disable a super admin while another remains", durSetSuper(ctx, s, root.ID, true, true))
	durWantErr(t, "delete the one enabled super admin left", s.DeleteUser(ctx, second.ID), store.ErrLastSuperAdmin)
	durNoErr(t, "enable a super admin", durSetSuper(ctx, s, root.ID, true, false))
	durNoErr(t, "delete a super admin while another remains", s.DeleteUser(ctx, second.ID))
	durNoErr(t, "delete a disabled super admin", s.DeleteUser(ctx, off.ID))
	durNoErr(t, "delete an ordinary user", s.DeleteUser(ctx, normal.ID))
	durWantErr(t, "delete the last super admin", s.DeleteUser(ctx, root.ID), store.ErrLastSuperAdmin)
	durWantCount(t, s, 1)
}

func testDurableDeleteUser(t *testing.T, s Durable) {
	ctx := t.Context()
	u := durCreate(t, s, store.User{Login: "alice", Email: "alice@example.com"})
	other := durCreate(t, s, store.User{Login: "bob"})
	k1 := durCreateKey(t, s, store.DevKey{UserID: u.ID, Hash: "h1"})
	k2 := durCreateKey(t, s, store.DevKey{UserID: u.ID, Hash: "h2"})
	ko := durCreateKey(t, s, store.DevKey{UserID: other.ID, Hash: "h3"})

	durNoErr(t, "DeleteUser", s.DeleteUser(ctx, u.ID))
	_, err := s.GetUser(ctx, u.ID)
	durWantErr(t, "GetUser after DeleteUser", err, store.ErrNotFound)
	_, err = s.GetUserByLogin(ctx, "alice")
	durWantErr(t, "GetUserByLogin after DeleteUser", err, store.ErrNotFound)
	_, err = s.GetDevKey(ctx, k1.ID)
	durWantErr(t, "GetDevKey of a deleted user", err, store.ErrNotFound)
	_, _, err = s.GetDevKeyUser(ctx, k2.Hash)
	durWantErr(t, "GetDevKeyUser of a deleted user", err, store.ErrNotFound)
	durWantKeys(t, s, u.ID)
	durWantKeys(t, s, other.ID, ko)

	durWantErr(t, "DeleteUser twice", s.DeleteUser(ctx, u.ID), store.ErrNotFound)
	durWantErr(t, "DeleteUser of a missing id", s.DeleteUser(ctx, u.ID+1000), store.ErrNotFound)
	durWantCount(t, s, 1)
	// The login and email are free again.
	again := durCreate(t, s, store.User{Login: "Alice", Email: "alice@example.com"})
	if again.ID == u.ID {
		t.Errorf("a new user got the deleted user's ID %d", u.ID)
	}
}

func durCreateKey(t *testing.T, s Durable, k store.DevKey) store.DevKey {
	t.Helper()
	if k.CreatedAt.IsZero() {
		k.CreatedAt = durableBase
	}
	got, err := s.CreateDevKey(t.Context(), k)
	durNoErr(t, "CreateDevKey", err)
	return got
}

func durWantKeys(t *testing.T, s Durable, userID int64, want ...store.DevKey) {
	t.Helper()
	got, err := s.ListDevKeys(t.Context(), userID)
	durNoErr(t, "ListDevKeys", err)
	if len(got) != len(want) {
		t.Fatalf("ListDevKeys(%d): %d keys, want %d", userID, len(got), len(want))
	}
	for i := range got {
		durSameDevKey(t, fmt.Sprintf("ListDevKeys(%d)[%d]", userID, i), got[i], want[i])
	}
}

func testDurableDevKeys(t *testing.T, s Durable) {
	ctx := t.Context()
	u := durCreate(t, s, store.User{Login: "alice"})
	v := durCreate(t, s, store.User{Login: "bob"})

	in := store.DevKey{UserID: u.ID, Label: "ci", Prefix: "xk_ab12", Hash: "hash-1", CreatedAt: durableBase}
	k, err := s.CreateDevKey(ctx, in)
	durNoErr(t, "CreateDevKey", err)
	if k.ID <= 0 {
		t.Fatalf("CreateDevKey: ID %d, want > 0", k.ID)
	}
	want := in
	want.ID = k.ID
	durSameDevKey(t, "CreateDevKey", k, want)
	got, err := s.GetDevKey(ctx, k.ID)
	durNoErr(t, "GetDevKey", err)
	durSameDevKey(t, "GetDevKey", got, want)
	got, owner, err := s.GetDevKeyUser(ctx, "hash-1")
	durNoErr(t, "GetDevKeyUser", err)
	durSameDevKey(t, "GetDevKeyUser", got, want)
	durSameUser(t, "user of GetDevKeyUser", owner, u)

	k2, err := s.CreateDevKey(ctx, store.DevKey{UserID: u.ID, Label: "laptop", Prefix: "xk_cd34", Hash: "hash-2"})
	durNoErr(t, "CreateDevKey without CreatedAt", err)
	durAtNow(t, "CreatedAt of zero", k2.CreatedAt)
	kv := durCreateKey(t, s, store.DevKey{UserID: v.ID, Label: "bob's", Hash: "hash-3"})
	durWantKeys(t, s, u.ID, want, k2)
	durWantKeys(t, s, v.ID, kv)
	durWantKeys(t, s, v.ID+1000)

	used := durableBase.Add(90 * time.Minute)
	durNoErr(t, "TouchDevKey", s.TouchDevKey(ctx, k.ID, used))
	want.LastUsedAt = &used
	got, err = s.GetDevKey(ctx, k.ID)
	durNoErr(t, "GetDevKey after TouchDevKey", err)
	durSameDevKey(t, "GetDevKey after TouchDevKey", got, want)
	used = used.Add(time.Minute)
	durNoErr(t, "TouchDevKey again", s.TouchDevKey(ctx, k.ID, used))
	got, owner, err = s.GetDevKeyUser(ctx, "hash-1")
	durNoErr(t, "GetDevKeyUser after TouchDevKey", err)
	durSameDevKey(t, "GetDevKeyUser after TouchDevKey", got, want)
	durSameUser(t, "user of GetDevKeyUser after TouchDevKey", owner, u)
	_, owner, err = s.GetDevKeyUser(ctx, "hash-3")
	durNoErr(t, "GetDevKeyUser of another user's key", err)
	durSameUser(t, "user of GetDevKeyUser of another user's key", owner, v)

	durNoErr(t, "DeleteDevKey", s.DeleteDevKey(ctx, k.ID))
	_, err = s.GetDevKey(ctx, k.ID)
	durWantErr(t, "GetDevKey after DeleteDevKey", err, store.ErrNotFound)
	_, _, err = s.GetDevKeyUser(ctx, "hash-1")
	durWantErr(t, "GetDevKeyUser after DeleteDevKey", err, store.ErrNotFound)
	durWantKeys(t, s, u.ID, k2)
	durWantErr(t, "DeleteDevKey twice", s.DeleteDevKey(ctx, k.ID), store.ErrNotFound)
}

func testDurableDeleteUserDevKeys(t *testing.T, s Durable) {
	ctx := t.Context()
	u := durCreate(t, s, store.User{Login: "alice"})
	v := durCreate(t, s, store.User{Login: "bob"})
	durCreateKey(t, s, store.DevKey{UserID: u.ID, Hash: "hash-1"})
	durCreateKey(t, s, store.DevKey{UserID: u.ID, Hash: "hash-2"})
	kv := durCreateKey(t, s, store.DevKey{UserID: v.ID, Hash: "hash-3"})

	n, err := s.DeleteUserDevKeys(ctx, u.ID)
	durNoErr(t, "DeleteUserDevKeys", err)
	if n != 2 {
		t.Errorf("DeleteUserDevKeys: %d deleted, want 2", n)
	}
	durWantKeys(t, s, u.ID)
	durWantKeys(t, s, v.ID, kv)
	for _, id := range []int64{u.ID, v.ID + 1000} {
		n, err = s.DeleteUserDevKeys(ctx, id)
		durNoErr(t, "DeleteUserDevKeys of none", err)
		if n != 0 {
			t.Errorf("DeleteUserDevKeys of user %d without keys: %d deleted", id, n)
		}
	}
	// the user's new keys are unaffected by the earlier deletion
	k := durCreateKey(t, s, store.DevKey{UserID: u.ID, Hash: "hash-1"})
	durWantKeys(t, s, u.ID, k)
}

func testDurableDevKeyErrors(t *testing.T, s Durable) {
	ctx := t.Context()
	u := durCreate(t, s, store.User{Login: "alice"})
	k := durCreateKey(t, s, store.DevKey{UserID: u.ID, Hash: "hash-1"})

	_, err := s.CreateDevKey(ctx, store.DevKey{UserID: u.ID + 1000, Hash: "hash-2"})
	durWantErr(t, "CreateDevKey for a missing user", err, store.ErrNotFound)
	_, err = s.CreateDevKey(ctx, store.DevKey{UserID: u.ID, Hash: "hash-1"})
	durWantErr(t, "CreateDevKey with a taken hash", err, store.ErrAlreadyExists)
	_, err = s.GetDevKey(ctx, k.ID+1000)
	durWantErr(t, "GetDevKey of a missing id", err, store.ErrNotFound)
	_, _, err = s.GetDevKeyUser(ctx, "no-such-hash")
	durWantErr(t, "GetDevKeyUser of a missing hash", err, store.ErrNotFound)
	durWantErr(t, "TouchDevKey of a missing id", s.TouchDevKey(ctx, k.ID+1000, durableBase), store.ErrNotFound)
	durWantErr(t, "DeleteDevKey of a missing id", s.DeleteDevKey(ctx, k.ID+1000), store.ErrNotFound)
	durWantKeys(t, s, u.ID, k)
}

func testDurableAudit(t *testing.T, s Durable) {
	ctx := t.Context()
	got, total, err := s.ListAuditEvents(ctx, store.AuditFilter{})
	durNoErr(t, "ListAuditEvents of none", err)
	if len(got) != 0 || total != 0 {
		t.Fatalf("ListAuditEvents of none: %d events of %d", len(got), total)
	}
	t0 := durableBase
	events := []store.AuditEvent{
		{At: t0, Subject: "alice", Address: "192.0.2.1", Kind: "k1", Outcome: "denied"},
		{At: t0.Add(time.Second), Subject: "client:abc", Address: "192.0.2.2", Kind: "k2", Outcome: "locked"},
		{At: t0.Add(2 * time.Second), Subject: "alice", Address: "192.0.2.3", Kind: "k3", Outcome: "captcha"},
		{At: t0.Add(2 * time.Second), Subject: "alice", Address: "192.0.2.4", Kind: "k4", Outcome: "denied"},
	}
	for _, e := range events {
		durNoErr(t, "AddAuditEvent", s.AddAuditEvent(ctx, e))
	}
	durNoErr(t, "AddAuditEvent without At", s.AddAuditEvent(ctx, store.AuditEvent{Subject: "bob", Kind: "k5"}))

	all, total, err := s.ListAuditEvents(ctx, store.AuditFilter{})
	durNoErr(t, "ListAuditEvents", err)
	durWantKinds(t, "ListAuditEvents", all, total, 5, "k5", "k4", "k3", "k2", "k1")
	durAtNow(t, "At of zero", all[0].At)
	ids := map[int64]bool{}
	for i, e := range all[1:] {
		want := events[len(events)-1-i]
		if e.ID <= 0 || ids[e.ID] {
			t.Errorf("event %s: ID %d not positive or not unique", e.Kind, e.ID)
		}
		ids[e.ID] = true
		durSameTime(t, "event "+e.Kind, e.At, want.At)
		e.ID, e.At, want.At = 0, time.Time{}, time.Time{}
		if e != want {
			t.Errorf("event: got %+v, want %+v", e, want)
		}
	}

	for _, tc := range []struct {
		f     store.AuditFilter
		total int
		kinds []string
	}{
		{store.AuditFilter{Subject: "alice"}, 3, []string{"k4", "k3", "k1"}},
		{store.AuditFilter{Subject: "ALICE"}, 0, nil},
		{store.AuditFilter{Subject: "client:abc"}, 1, []string{"k2"}},
		{store.AuditFilter{Limit: 2}, 5, []string{"k5", "k4"}},
		{store.AuditFilter{Offset: 2, Limit: 2}, 5, []string{"k3", "k2"}},
		{store.AuditFilter{Offset: 4}, 5, []string{"k1"}},
		{store.AuditFilter{Offset: 5, Limit: 3}, 5, nil},
		{store.AuditFilter{Subject: "alice", Offset: 1, Limit: 1}, 3, []string{"k3"}},
		{store.AuditFilter{Kind: "k3"}, 1, []string{"k3"}},
		{store.AuditFilter{Kind: "K3"}, 0, nil},
		{store.AuditFilter{Subject: "alice", Kind: "k2"}, 0, nil},
		{store.AuditFilter{Subject: "client:abc", Kind: "k2"}, 1, []string{"k2"}},
		// From is inclusive and To exclusive, whatever zone they come in.
		{store.AuditFilter{From: t0.Add(time.Second)}, 4, []string{"k5", "k4", "k3", "k2"}},
		{store.AuditFilter{To: t0.Add(2 * time.Second)}, 2, []string{"k2", "k1"}},
		{store.AuditFilter{From: t0.Add(time.Second).UTC(), To: t0.Add(2 * time.Second).UTC()}, 1, []string{"k2"}},
		{store.AuditFilter{From: t0, To: t0.Add(time.Millisecond)}, 1, []string{"k1"}},
		{store.AuditFilter{From: t0.Add(time.Hour), To: t0}, 0, nil},
		{store.AuditFilter{Subject: "alice", From: t0.Add(time.Second), To: t0.Add(time.Hour), Limit: 1}, 2, []string{"k4"}},
		{store.AuditFilter{Subject: "alice", Kind: "k4", From: t0, To: t0.Add(time.Hour), Offset: 1}, 1, nil},
	} {
		got, total, err := s.ListAuditEvents(ctx, tc.f)
		what := fmt.Sprintf("ListAuditEvents %+v", tc.f)
		durNoErr(t, what, err)
		durWantKinds(t, what, got, total, tc.total, tc.kinds...)
	}
}

func testDurableAuditPrune(t *testing.T, s Durable) {
	ctx := t.Context()
	t0 := durableBase
	n, err := s.PruneAuditEvents(ctx, t0)
	durNoErr(t, "PruneAuditEvents of none", err)
	if n != 0 {
		t.Fatalf("pruned %d of none", n)
	}
	// more than a batch before the cut, a few at it and after it
	const old = 5003
	for i := range old {
		durNoErr(t, "AddAuditEvent", s.AddAuditEvent(ctx, store.AuditEvent{At: t0.Add(-time.Duration(i+1) * time.Second), Subject: "old", Kind: "k"}))
	}
	for i := range 3 {
		durNoErr(t, "AddAuditEvent", s.AddAuditEvent(ctx, store.AuditEvent{At: t0.Add(time.Duration(i) * time.Hour), Subject: "new", Kind: "k"}))
	}
	n, err = s.PruneAuditEvents(ctx, t0)
	durNoErr(t, "PruneAuditEvents", err)
	if n != old {
		t.Fatalf("pruned %d, want %d", n, old)
	}
	left, total, err := s.ListAuditEvents(ctx, store.AuditFilter{})
	durNoErr(t, "ListAuditEvents", err)
	if total != 3 || left[0].Subject != "new" || left[2].Subject != "new" {
		t.Fatalf("left %d events: %+v; want the 3 from the cut on", total, left)
	}
}

func durWantKinds(t *testing.T, what string, got []store.AuditEvent, total, wantTotal int, kinds ...string) {
	t.Helper()
	var gotKinds []string
	for _, e := range got {
		gotKinds = append(gotKinds, e.Kind)
	}
	if total != wantTotal || fmt.Sprint(gotKinds) != fmt.Sprint(kinds) {
		t.Fatalf("%s: kinds %v of %d, want %v of %d", what, gotKinds, total, kinds, wantTotal)
	}
}

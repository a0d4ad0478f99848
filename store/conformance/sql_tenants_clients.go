package conformance

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"xtraauth/store"
)

func durSameTenant(t *testing.T, what string, got, want store.Tenant) {
	t.Helper()
	durSameTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// durSameClient compares clients; want.TenantIDs is expected back sorted.
func durSameClient(t *testing.T, what string, got, want store.Client) {
	t.Helper()
	durSameTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTenants := slices.Sorted(slices.Values(want.TenantIDs))
	if !slices.Equal(got.TenantIDs, wantTenants) {
		t.Errorf("%s: TenantIDs %v, want %v", what, got.TenantIDs, wantTenants)
	}
	if got.ID != want.ID || got.SecretHash != want.SecretHash || got.MaySudo != want.MaySudo {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func durCreateTenant(t *testing.T, s Durable, code string) store.Tenant {
	t.Helper()
	tn, err := s.CreateTenant(t.Context(), store.Tenant{Code: code, Name: "Tenant " + code, CreatedAt: durableBase})
	durNoErr(t, "CreateTenant "+code, err)
	return tn
}

func durCreateClient(t *testing.T, s Durable, c store.Client) store.Client {
	t.Helper()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = durableBase
	}
	got, err := s.CreateClient(t.Context(), c)
	durNoErr(t, "CreateClient "+c.ID, err)
	durSameClient(t, "CreateClient "+c.ID, got, c)
	return got
}

func durGetClient(t *testing.T, s Durable, id string) store.Client {
	t.Helper()
	c, err := s.GetClient(t.Context(), id)
	durNoErr(t, "GetClient "+id, err)
	return c
}

func durWantClients(t *testing.T, s Durable, want ...store.Client) {
	t.Helper()
	got, err := s.ListClients(t.Context())
	durNoErr(t, "ListClients", err)
	if len(got) != len(want) {
		t.Fatalf("ListClients: %d clients, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		durSameClient(t, fmt.Sprintf("ListClients[%d]", i), got[i], want[i])
	}
}

func testDurableTenants(t *testing.T, s Durable) {
	ctx := t.Context()
	// The default tenant exists from the start.
	def, err := s.GetTenant(ctx, store.DefaultTenantID)
	durNoErr(t, "GetTenant default", err)
	if def.ID != store.DefaultTenantID || def.Code != "default" {
		t.Errorf("default tenant = %+v, want ID %d code %q", def, store.DefaultTenantID, "default")
	}
	if def.CreatedAt.IsZero() || def.CreatedAt.Location() != time.UTC {
		t.Errorf("default tenant CreatedAt = %v, want the migration's time in UTC", def.CreatedAt)
	}
	byCode, err := s.GetTenantByCode(ctx, "default")
	durNoErr(t, "GetTenantByCode default", err)
	durSameTenant(t, "GetTenantByCode default", byCode, def)
	list, err := s.ListTenants(ctx)
	durNoErr(t, "ListTenants", err)
	if len(list) != 1 {
		t.Fatalf("ListTenants of a new store: %+v, want the default tenant only", list)
	}
	durSameTenant(t, "ListTenants[0]", list[0], def)

	// The ID is set by the store, whatever the caller passes.
	in := store.Tenant{ID: store.DefaultTenantID, Code: "acme", Name: "Acme Ltd", CreatedAt: durableBase}
	acme, err := s.CreateTenant(ctx, in)
	durNoErr(t, "CreateTenant acme", err)
	if acme.ID <= store.DefaultTenantID {
		t.Fatalf("CreateTenant: ID %d, want > %d", acme.ID, store.DefaultTenantID)
	}
	want := in
	want.ID = acme.ID
	durSameTenant(t, "CreateTenant", acme, want)
	got, err := s.GetTenant(ctx, acme.ID)
	durNoErr(t, "GetTenant acme", err)
	durSameTenant(t, "GetTenant acme", got, want)
	got, err = s.GetTenantByCode(ctx, "acme")
	durNoErr(t, "GetTenantByCode acme", err)
	durSameTenant(t, "GetTenantByCode acme", got, want)
	def, err = s.GetTenant(ctx, store.DefaultTenantID)
	durNoErr(t, "GetTenant default after CreateTenant", err)
	if def.Code != "default" {
		t.Errorf("CreateTenant with ID %d overwrote the default tenant: %+v", store.DefaultTenantID, def)
	}

	beta, err := s.CreateTenant(ctx, store.Tenant{Code: "beta", Name: "Beta"})
	durNoErr(t, "CreateTenant without CreatedAt", err)
	durAtNow(t, "CreatedAt of zero", beta.CreatedAt)
	if beta.ID == acme.ID || beta.ID == store.DefaultTenantID {
		t.Errorf("CreateTenant beta: ID %d taken", beta.ID)
	}

	_, err = s.CreateTenant(ctx, store.Tenant{Code: "acme", Name: "Another Acme"})
	durWantErr(t, "CreateTenant with a taken code", err, store.ErrAlreadyExists)
	_, err = s.CreateTenant(ctx, store.Tenant{Code: "default", Name: "Another default"})
	durWantErr(t, "CreateTenant with the default code", err, store.ErrAlreadyExists)
	_, err = s.GetTenant(ctx, beta.ID+1000)
	durWantErr(t, "GetTenant of a missing id", err, store.ErrNotFound)
	_, err = s.GetTenantByCode(ctx, "nope")
	durWantErr(t, "GetTenantByCode of a missing code", err, store.ErrNotFound)

	list, err = s.ListTenants(ctx)
	durNoErr(t, "ListTenants", err)
	wantList := []store.Tenant{def, want, beta}
	if len(list) != len(wantList) {
		t.Fatalf("ListTenants: %d tenants, want %d: %+v", len(list), len(wantList), list)
	}
	for i := range list {
		durSameTenant(t, fmt.Sprintf("ListTenants[%d]", i), list[i], wantList[i])
	}
}

func testDurableClients(t *testing.T, s Durable) {
	ctx := t.Context()
	durWantClients(t, s)
	t2 := durCreateTenant(t, s, "t2")
	t3 := durCreateTenant(t, s, "t3")

	// Two tenants, given out of order, come back sorted.
	svc := store.Client{ID: "svc", SecretHash: store.Digest("secret-1"), MaySudo: true,
		TenantIDs: []int64{t3.ID, t2.ID}, CreatedAt: durableBase}
	durCreateClient(t, s, svc)
	durSameClient(t, "GetClient svc", durGetClient(t, s, "svc"), svc)

	plain, err := s.CreateClient(ctx, store.Client{ID: "Zed", SecretHash: store.Digest("secret-2")})
	durNoErr(t, "CreateClient without tenants or CreatedAt", err)
	durAtNow(t, "CreatedAt of zero", plain.CreatedAt)
	if plain.MaySudo || len(plain.TenantIDs) != 0 {
		t.Errorf("CreateClient without tenants: %+v", plain)
	}
	durSameClient(t, "GetClient Zed", durGetClient(t, s, "Zed"), plain)

	dflt := durCreateClient(t, s, store.Client{ID: "a-c", SecretHash: "h3", TenantIDs: []int64{store.DefaultTenantID}})
	all3 := durCreateClient(t, s, store.Client{ID: "ab", SecretHash: "h4", MaySudo: true,
		TenantIDs: []int64{t2.ID, store.DefaultTenantID, t3.ID}})
	durSameClient(t, "GetClient ab", durGetClient(t, s, "ab"), all3)

	// Ordered by id, byte by byte.
	byID := []store.Client{svc, plain, dflt, all3}
	sort.Slice(byID, func(i, j int) bool { return byID[i].ID < byID[j].ID })
	durWantClients(t, s, byID...)

	// Deleting takes the client's tenants with it: a new client of the same
	// id starts with only its own.
	durNoErr(t, "DeleteClient svc", s.DeleteClient(ctx, "svc"))
	_, err = s.GetClient(ctx, "svc")
	durWantErr(t, "GetClient after DeleteClient", err, store.ErrNotFound)
	durWantErr(t, "DeleteClient twice", s.DeleteClient(ctx, "svc"), store.ErrNotFound)
	durWantClients(t, s, plain, dflt, all3)
	again := durCreateClient(t, s, store.Client{ID: "svc", SecretHash: "h5", TenantIDs: []int64{t3.ID}})
	durSameClient(t, "GetClient svc again", durGetClient(t, s, "svc"), again)
	// Other clients keep their tenants.
	durSameClient(t, "GetClient ab after DeleteClient svc", durGetClient(t, s, "ab"), all3)
}

func testDurableClientErrors(t *testing.T, s Durable) {
	ctx := t.Context()
	t2 := durCreateTenant(t, s, "t2")
	svc := durCreateClient(t, s, store.Client{ID: "svc", SecretHash: "h1", TenantIDs: []int64{t2.ID}})

	// A missing tenant refuses the whole client.
	_, err := s.CreateClient(ctx, store.Client{ID: "bad", SecretHash: "h2",
		TenantIDs: []int64{store.DefaultTenantID, t2.ID + 1000}})
	durWantErr(t, "CreateClient with a missing tenant", err, store.ErrNotFound)
	_, err = s.GetClient(ctx, "bad")
	durWantErr(t, "GetClient of a refused client", err, store.ErrNotFound)
	durWantClients(t, s, svc)
	// ... and leaves nothing behind to get in the way of a good one.
	bad := durCreateClient(t, s, store.Client{ID: "bad", SecretHash: "h2", TenantIDs: []int64{store.DefaultTenantID}})
	durSameClient(t, "GetClient bad", durGetClient(t, s, "bad"), bad)

	_, err = s.CreateClient(ctx, store.Client{ID: "svc", SecretHash: "other", MaySudo: true,
		TenantIDs: []int64{store.DefaultTenantID}})
	durWantErr(t, "CreateClient with a taken id", err, store.ErrAlreadyExists)
	durSameClient(t, "client after refused duplicate", durGetClient(t, s, "svc"), svc)

	_, err = s.GetClient(ctx, "nope")
	durWantErr(t, "GetClient of a missing id", err, store.ErrNotFound)
	durWantErr(t, "DeleteClient of a missing id", s.DeleteClient(ctx, "nope"), store.ErrNotFound)
	durWantClients(t, s, bad, svc)
}

func testDurableUserFinder(t *testing.T, s Durable) {
	ctx := t.Context()
	alice := durCreate(t, s, store.User{Login: "alice", Email: "Alice@Example.com", Mobile: "+8613800000001"})
	bob := durCreate(t, s, store.User{Login: "bob", Email: "bob@example.com"})
	carol := durCreate(t, s, store.User{Login: "carol", Mobile: "+86 138 0000 0003"})
	durCreate(t, s, store.User{Login: "a_b", Email: "a_b@example.com"})

	for _, email := range []string{"Alice@Example.com", "alice@example.com", "ALICE@EXAMPLE.COM"} {
		got, err := s.GetUserByEmail(ctx, email)
		durNoErr(t, "GetUserByEmail "+email, err)
		durSameUser(t, "GetUserByEmail "+email, got, alice)
	}
	got, err := s.GetUserByEmail(ctx, "BOB@example.com")
	durNoErr(t, "GetUserByEmail BOB", err)
	durSameUser(t, "GetUserByEmail BOB", got, bob)
	for _, email := range []string{"alice@example.co", "alice", "axb@example.com", "%@example.com", " bob@example.com"} {
		_, err := s.GetUserByEmail(ctx, email)
		durWantErr(t, fmt.Sprintf("GetUserByEmail %q", email), err, store.ErrNotFound)
	}

	got, err = s.GetUserByMobile(ctx, "+8613800000001")
	durNoErr(t, "GetUserByMobile alice", err)
	durSameUser(t, "GetUserByMobile alice", got, alice)
	got, err = s.GetUserByMobile(ctx, "+86 138 0000 0003")
	durNoErr(t, "GetUserByMobile carol", err)
	durSameUser(t, "GetUserByMobile carol", got, carol)
	for _, mobile := range []string{"8613800000001", "+861380000000", "+8613800000003"} {
		_, err := s.GetUserByMobile(ctx, mobile)
		durWantErr(t, fmt.Sprintf("GetUserByMobile %q", mobile), err, store.ErrNotFound)
	}

	// Empty values never match, though carol has no email and bob no mobile.
	_, err = s.GetUserByEmail(ctx, "")
	durWantErr(t, "GetUserByEmail empty", err, store.ErrNotFound)
	_, err = s.GetUserByMobile(ctx, "")
	durWantErr(t, "GetUserByMobile empty", err, store.ErrNotFound)

	// Since emails match case-insensitively, they are unique that way too.
	_, err = s.CreateUser(ctx, store.User{Login: "dave", Email: "ALICE@example.COM"})
	durWantErr(t, "CreateUser with a taken email in other case", err, store.ErrAlreadyExists)
	_, err = s.UpdateUser(ctx, bob.ID, func(x *store.User) error { x.Email = "alice@EXAMPLE.com"; return nil })
	durWantErr(t, "UpdateUser to a taken email in other case", err, store.ErrAlreadyExists)
	// Changing only the case of one's own email is no conflict.
	alice, err = s.UpdateUser(ctx, alice.ID, func(x *store.User) error { x.Email = "alice@example.com"; return nil })
	durNoErr(t, "UpdateUser email case", err)
	got, err = s.GetUserByEmail(ctx, "Alice@Example.com")
	durNoErr(t, "GetUserByEmail after case change", err)
	durSameUser(t, "GetUserByEmail after case change", got, alice)

	// Lookups follow changes and deletions.
	alice, err = s.UpdateUser(ctx, alice.ID, func(x *store.User) error {
		x.Email, x.Mobile = "alicia@example.com", ""
		return nil
	})
	durNoErr(t, "UpdateUser email and mobile", err)
	_, err = s.GetUserByEmail(ctx, "alice@example.com")
	durWantErr(t, "GetUserByEmail old email", err, store.ErrNotFound)
	_, err = s.GetUserByMobile(ctx, "+8613800000001")
	durWantErr(t, "GetUserByMobile cleared mobile", err, store.ErrNotFound)
	got, err = s.GetUserByEmail(ctx, "ALICIA@example.com")
	durNoErr(t, "GetUserByEmail new email", err)
	durSameUser(t, "GetUserByEmail new email", got, alice)
	// The freed email can be taken, in any case.
	durCreate(t, s, store.User{Login: "dave", Email: "ALICE@EXAMPLE.COM"})

	durNoErr(t, "DeleteUser carol", s.DeleteUser(ctx, carol.ID))
	_, err = s.GetUserByMobile(ctx, "+86 138 0000 0003")
	durWantErr(t, "GetUserByMobile after DeleteUser", err, store.ErrNotFound)
}

package oauth_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"xtraauth/captcha"
	"xtraauth/internal/testkit"
	"xtraauth/lockout"
	"xtraauth/oauth"
	"xtraauth/store"
	"xtraauth/store/memstore"
)

// fixture is the service on an in-memory store, behind the real lockout.
type fixture struct {
	svc     *oauth.Service
	store   *memstore.Store
	gate    *lockout.Lockout
	clock   *testkit.Clock
	secrets map[string]string
}

// Users of the fixture, by id.
const (
	admin = 1 // tenant 1 (default)
	alice = 2 // tenant 1, email and mobile
	bob   = 3 // tenant 2 (acme)
	carol = 4 // tenant 1, disabled
	dave  = 5 // tenant 3 (globex)
)

// newFixture: tenants default(1), acme(2), globex(3); clients "plain" (no
// sudo), "sudo" (sudo, no tenants), "acme" (sudo, acme), "multi" (sudo,
// acme and globex). The service, the lockout and the store share one clock.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := testkit.NewClock()
	fx := newFixtureOn(t, clock.Now, clock.Now)
	fx.clock = clock
	return fx
}

// newFixtureOn is newFixture with the service's (and the lockout's) clock
// apart from the store's.
func newFixtureOn(t *testing.T, now, storeNow func() time.Time) *fixture {
	t.Helper()
	ctx := t.Context()
	st := memstore.New(storeNow)
	gate := lockout.New(lockout.DefaultConfig, st, captcha.New(st, time.Minute), st, now)
	svc := oauth.New(oauth.Deps{Clients: st, Tenants: st, Users: st, Tokens: st, Audit: st, Gate: gate,
		TTL: 12 * time.Hour, Now: now})
	fx := &fixture{svc: svc, store: st, gate: gate, secrets: map[string]string{}}
	for i, code := range []string{"acme", "globex"} {
		if tn, err := svc.CreateTenant(ctx, code, ""); err != nil || tn.ID != int64(i+2) {
			t.Fatalf("tenant %s: %+v, %v", code, tn, err)
		}
	}
	for i, u := range []store.User{
		{Login: "admin", IsSuper: true},
		{Login: "alice", Email: "Alice@Example.com", Mobile: "13800000001"},
		{Login: "bob", Email: "bob@acme.test", Mobile: "13900000002", TenantID: 2},
		{Login: "carol", Email: "carol@example.com", Mobile: "13700000003", Disabled: true},
		{Login: "dave", TenantID: 3},
	} {
		if got, err := st.CreateUser(ctx, u); err != nil || got.ID != int64(i+1) {
			t.Fatalf("user %s: %+v, %v", u.Login, got, err)
		}
	}
	for _, c := range []struct {
		id      string
		sudo    bool
		tenants []string
	}{
		{"plain", false, nil}, {"sudo", true, nil}, {"acme", true, []string{"acme"}}, {"multi", true, []string{"acme", "globex"}},
	} {
		_, secret, err := svc.CreateClient(ctx, c.id, c.sudo, c.tenants)
		if err != nil {
			t.Fatal(err)
		}
		fx.secrets[c.id] = secret
	}
	return fx
}

func (fx *fixture) auditEvents(t *testing.T) []store.AuditEvent {
	t.Helper()
	events, _, err := fx.store.ListAuditEvents(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func TestSudoForms(t *testing.T) {
	fx := newFixture(t)
	cases := []struct {
		sudo   string
		wantID int64
		err    error
	}{
		{"uid:2", alice, nil},
		{"loginName:alice", alice, nil},
		{"username:alice", alice, nil}, // deprecated, still served
		{"email:Alice@Example.com", alice, nil},
		{"mobile:13800000001", alice, nil},
		{"uid:1", admin, nil},

		{"", 0, oauth.ErrBadSudo},
		{"alice", 0, oauth.ErrBadSudo},
		{"uid", 0, oauth.ErrBadSudo},
		{"uid:", 0, oauth.ErrBadSudo},
		{":2", 0, oauth.ErrBadSudo},
		{"UID:2", 0, oauth.ErrBadSudo},
		{"loginname:alice", 0, oauth.ErrBadSudo},
		{"id:2", 0, oauth.ErrBadSudo},
		{"login:alice", 0, oauth.ErrBadSudo},
		{" uid:2", 0, oauth.ErrBadSudo},
		{"email:", 0, oauth.ErrBadSudo},
		{"mobile:", 0, oauth.ErrBadSudo},

		{"uid:99", 0, oauth.ErrSudoNotFound},
		{"uid:abc", 0, oauth.ErrSudoNotFound},
		{"uid:-1", 0, oauth.ErrSudoNotFound},
		{"uid:0", 0, oauth.ErrSudoNotFound},
		{"uid:99999999999999999999", 0, oauth.ErrSudoNotFound},
		{"loginName:nobody", 0, oauth.ErrSudoNotFound},
		{"loginName:alice:x", 0, oauth.ErrSudoNotFound},
		{"email:nobody@example.com", 0, oauth.ErrSudoNotFound},
		{"mobile:000", 0, oauth.ErrSudoNotFound},
		// A disabled user is not found either.
		{"uid:4", 0, oauth.ErrSudoNotFound},
		{"loginName:carol", 0, oauth.ErrSudoNotFound},
		{"email:carol@example.com", 0, oauth.ErrSudoNotFound},
		{"mobile:13700000003", 0, oauth.ErrSudoNotFound},
	}
	for _, c := range cases {
		t.Run(c.sudo, func(t *testing.T) {
			u, err := fx.svc.Sudo(t.Context(), "sudo", oauth.SudoRequest{Sudo: c.sudo}, "192.0.2.1")
			if c.err != nil {
				if !errors.Is(err, c.err) || u.ID != 0 {
					t.Fatalf("Sudo(%q) = user %d, %v; want %v", c.sudo, u.ID, err, c.err)
				}
				return
			}
			if err != nil || u.ID != c.wantID {
				t.Fatalf("Sudo(%q) = user %d, %v; want user %d", c.sudo, u.ID, err, c.wantID)
			}
		})
	}
}

func TestSudoTenants(t *testing.T) {
	fx := newFixture(t)
	cases := []struct {
		name   string
		client string
		req    oauth.SudoRequest
		err    error
	}{
		{"no tenants: default tenant user", "sudo", oauth.SudoRequest{Sudo: "uid:2"}, nil},
		{"no tenants: other tenant user", "sudo", oauth.SudoRequest{Sudo: "uid:3"}, oauth.ErrTenant},
		{"no tenants: other tenant named", "sudo", oauth.SudoRequest{Sudo: "uid:3", TenantCode: "acme"}, oauth.ErrTenant},
		{"no tenants: default tenantId", "sudo", oauth.SudoRequest{Sudo: "uid:2", TenantID: "1"}, nil},
		{"no tenants: default tenantCode", "sudo", oauth.SudoRequest{Sudo: "uid:2", TenantCode: "default"}, nil},

		{"acme: acme user", "acme", oauth.SudoRequest{Sudo: "loginName:bob"}, nil},
		{"acme: acme user, tenantId", "acme", oauth.SudoRequest{Sudo: "loginName:bob", TenantID: "2"}, nil},
		{"acme: acme user, tenantCode", "acme", oauth.SudoRequest{Sudo: "loginName:bob", TenantCode: "acme"}, nil},
		{"acme: default tenant user", "acme", oauth.SudoRequest{Sudo: "loginName:alice"}, oauth.ErrTenant},
		{"acme: default tenant user, default named", "acme", oauth.SudoRequest{Sudo: "loginName:alice", TenantCode: "default"}, oauth.ErrTenant},
		{"acme: globex user", "acme", oauth.SudoRequest{Sudo: "loginName:dave"}, oauth.ErrTenant},

		{"multi: acme user", "multi", oauth.SudoRequest{Sudo: "loginName:bob"}, nil},
		{"multi: globex user", "multi", oauth.SudoRequest{Sudo: "loginName:dave", TenantCode: "globex"}, nil},
		{"multi: default tenant user", "multi", oauth.SudoRequest{Sudo: "loginName:alice"}, oauth.ErrTenant},

		{"tenantId of another tenant", "multi", oauth.SudoRequest{Sudo: "loginName:bob", TenantID: "3"}, oauth.ErrTenant},
		{"tenantCode of another tenant", "multi", oauth.SudoRequest{Sudo: "loginName:bob", TenantCode: "globex"}, oauth.ErrTenant},
		{"tenantId not a number", "acme", oauth.SudoRequest{Sudo: "loginName:bob", TenantID: "acme"}, oauth.ErrTenant},
		{"tenantId padded", "acme", oauth.SudoRequest{Sudo: "loginName:bob", TenantID: "02"}, oauth.ErrTenant},
		{"unknown tenantCode", "acme", oauth.SudoRequest{Sudo: "loginName:bob", TenantCode: "nope"}, oauth.ErrTenant},
		{"tenantId right, tenantCode wrong", "multi", oauth.SudoRequest{Sudo: "loginName:bob", TenantID: "2", TenantCode: "globex"}, oauth.ErrTenant},
		{"tenantId wrong, tenantCode right", "multi", oauth.SudoRequest{Sudo: "loginName:bob", TenantID: "3", TenantCode: "acme"}, oauth.ErrTenant},
		{"tenantId and tenantCode both right", "multi", oauth.SudoRequest{Sudo: "loginName:bob", TenantID: "2", TenantCode: "acme"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := fx.svc.Sudo(t.Context(), c.client, c.req, "192.0.2.1")
			if c.err == nil && (err != nil || u.ID == 0) {
				t.Fatalf("Sudo = user %d, %v; want a user", u.ID, err)
			}
			if c.err != nil && (!errors.Is(err, c.err) || u.ID != 0) {
				t.Fatalf("Sudo = user %d, %v; want %v", u.ID, err, c.err)
			}
		})
	}
}

func TestSudoNeedsTheRight(t *testing.T) {
	fx := newFixture(t)
	for _, sudo := range []string{"uid:2", "uid:99", "loginName:carol", "nonsense"} {
		// Without the right nothing is looked up, so nothing is learnt.
		if _, err := fx.svc.Sudo(t.Context(), "plain", oauth.SudoRequest{Sudo: sudo}, ""); !errors.Is(err, oauth.ErrSudoNotAllowed) {
			t.Errorf("plain client, sudo %q: %v, want ErrSudoNotAllowed", sudo, err)
		}
	}
	if _, err := fx.svc.Sudo(t.Context(), "gone", oauth.SudoRequest{Sudo: "uid:2"}, ""); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Errorf("unknown client: %v, want ErrInvalidClient", err)
	}
	if n := len(fx.auditEvents(t)); n != 0 {
		t.Errorf("refused sudo wrote %d audit events", n)
	}
}

func TestSudoIsAudited(t *testing.T) {
	fx := newFixture(t)
	if _, err := fx.svc.Sudo(t.Context(), "acme", oauth.SudoRequest{Sudo: "email:BOB@acme.test"}, "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	events := fx.auditEvents(t)
	if len(events) != 1 {
		t.Fatalf("audit = %+v, want one event", events)
	}
	e := events[0]
	if e.Kind != "sudo" || e.Subject != "bob" || e.Address != "192.0.2.7" || !strings.Contains(e.Outcome, "acme") || !e.At.Equal(testkit.Start) {
		t.Fatalf("audit event = %+v, want sudo of bob by client acme from 192.0.2.7 at %s", e, testkit.Start)
	}
}

func TestCreateClient(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	for _, id := range []string{
		"", strings.Repeat("a", 129), "a:b", ":", "a\x00b", "a\rb", "a\nb", "a\tb", "a\x01b", "a\x1fb", "a\x7fb", "a\u0085b", "a\xffb",
	} {
		if _, _, err := fx.svc.CreateClient(ctx, id, false, nil); !errors.Is(err, oauth.ErrBadClientID) {
			t.Errorf("CreateClient(%q) = %v, want ErrBadClientID", id, err)
		}
	}
	for _, id := range []string{strings.Repeat("a", 128), "admin", "svc-1_x.y", "app@corp.example", "中文客户端"} {
		c, secret, err := fx.svc.CreateClient(ctx, id, true, []string{"acme"})
		if err != nil {
			t.Fatalf("CreateClient(%q): %v", id, err)
		}
		if c.ID != id || !c.MaySudo || !slices.Equal(c.TenantIDs, []int64{2}) || !c.CreatedAt.Equal(testkit.Start) {
			t.Errorf("CreateClient(%q) = %+v", id, c)
		}
		if len(secret) < 43 || c.SecretHash != store.Digest(secret) || strings.Contains(c.SecretHash, secret) {
			t.Errorf("client %q: secret %q stored as %q, want its SHA-256 only", id, secret, c.SecretHash)
		}
	}
	if _, _, err := fx.svc.CreateClient(ctx, "admin", false, nil); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("duplicate id: %v, want ErrAlreadyExists", err)
	}
	if _, _, err := fx.svc.CreateClient(ctx, "x", false, []string{"acme", "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown tenant: %v, want ErrNotFound", err)
	}
	if _, err := fx.store.GetClient(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a client with an unknown tenant was stored: %v", err)
	}
	_, s1, _ := fx.svc.CreateClient(ctx, "s1", false, nil)
	_, s2, _ := fx.svc.CreateClient(ctx, "s2", false, nil)
	if s1 == s2 {
		t.Errorf("two clients got the same secret %q", s1)
	}
}

// wantFailures checks the lockout's count of wrong secrets of each client,
// overall ("client:ID") and from one address ("client:ID@ADDRESS").
func wantFailures(t *testing.T, fx *fixture, want map[string]int) map[string]lockout.Entry {
	t.Helper()
	entries, err := fx.gate.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, byName := map[string]int{}, map[string]lockout.Entry{}
	for _, e := range entries {
		got[e.Name], byName[e.Name] = e.Failures, e
	}
	if !maps.Equal(got, want) {
		t.Fatalf("failures counted %v, want %v", got, want)
	}
	return byName
}

// Every attempt passes the gate: a wrong secret, an unknown client and the
// stored digest each count against the client, overall and from the
// address; a right secret clears the address's count.
func TestAuthenticate(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	const here = "192.0.2.1"
	c, err := fx.svc.Authenticate(ctx, "sudo", fx.secrets["sudo"], here)
	if err != nil || c.ID != "sudo" {
		t.Fatalf("right secret: %+v, %v", c, err)
	}
	wantFailures(t, fx, map[string]int{})
	if _, err := fx.svc.Authenticate(ctx, "sudo", fx.secrets["plain"], here); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("another client's secret: %v", err)
	}
	if _, err := fx.svc.Authenticate(ctx, "nobody", "whatever", here); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("unknown client: %v", err)
	}
	// The stored digest is not a secret.
	cl, err := fx.store.GetClient(ctx, "sudo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Authenticate(ctx, "sudo", cl.SecretHash, here); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("the digest as secret: %v", err)
	}
	wantFailures(t, fx, map[string]int{
		"client:sudo": 2, "client:sudo@" + here: 2, "client:nobody": 1, "client:nobody@" + here: 1,
	})
	if _, err := fx.svc.Authenticate(ctx, "sudo", fx.secrets["sudo"], here); err != nil {
		t.Fatalf("right secret after wrong ones: %v", err)
	}
	wantFailures(t, fx, map[string]int{"client:sudo": 2, "client:nobody": 1, "client:nobody@" + here: 1})
}

// A client locked for an address is refused there before its secret is
// looked at: the right secret neither counts, nor lifts the lock, nor gets
// a token. Other addresses are not locked out.
func TestAuthenticateLocked(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	const here, there = "192.0.2.1", "192.0.2.2"
	lockAfter := lockout.DefaultConfig.LockAfter
	for range lockAfter {
		if _, err := fx.svc.Authenticate(ctx, "sudo", "wrong", here); !errors.Is(err, oauth.ErrInvalidClient) {
			t.Fatalf("wrong secret: %v", err)
		}
	}
	var locked *lockout.LockedError
	for range 2 {
		if _, err := fx.svc.Authenticate(ctx, "sudo", fx.secrets["sudo"], here); !errors.As(err, &locked) {
			t.Fatalf("right secret while locked: %v, want LockedError", err)
		}
	}
	if tok, err := fx.svc.Issue(ctx, "sudo", fx.secrets["sudo"], here); !errors.As(err, &locked) || tok != (oauth.Token{}) {
		t.Fatalf("Issue while locked: %+v, %v", tok, err)
	}
	entries := wantFailures(t, fx, map[string]int{"client:sudo": lockAfter, "client:sudo@" + here: lockAfter})
	if entries["client:sudo@"+here].LockedUntil == nil {
		t.Fatalf("not locked: %+v", entries)
	}
	if _, err := fx.svc.Issue(ctx, "sudo", fx.secrets["sudo"], there); err != nil {
		t.Fatalf("from another address: %v", err)
	}
}

func TestTokens(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	tok, err := fx.svc.Issue(ctx, "sudo", fx.secrets["sudo"], "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Value) < 43 || tok.ClientID != "sudo" || !tok.ExpiresAt.Equal(testkit.Start.Add(12*time.Hour)) {
		t.Fatalf("Issue = %+v", tok)
	}
	if kept, err := fx.store.GetAccessToken(ctx, store.Digest(tok.Value)); err != nil || kept.ClientID != "sudo" {
		t.Fatalf("the token is not kept by its digest: %+v, %v", kept, err)
	}
	if _, err := fx.store.GetAccessToken(ctx, tok.Value); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the token is kept in the clear: %v", err)
	}
	if got := fx.svc.ExpiresIn(tok.AccessToken); got != 43200 {
		t.Fatalf("ExpiresIn = %d, want 43200", got)
	}
	other, _ := fx.svc.Issue(ctx, "sudo", fx.secrets["sudo"], "192.0.2.1")
	if other.Value == tok.Value {
		t.Fatal("two tokens alike")
	}
	if at, err := fx.svc.Lookup(ctx, tok.Value); err != nil || at.ClientID != "sudo" {
		t.Fatalf("Lookup = %+v, %v", at, err)
	}
	for _, bad := range []string{"", "x", store.Digest(tok.Value), strings.ToUpper(tok.Value)} {
		if _, err := fx.svc.Lookup(ctx, bad); !errors.Is(err, oauth.ErrTokenNotFound) {
			t.Errorf("Lookup(%q) = %v, want ErrTokenNotFound", bad, err)
		}
	}

	fx.clock.Advance(time.Hour)
	if got := fx.svc.ExpiresIn(tok.AccessToken); got != 11*3600 {
		t.Fatalf("ExpiresIn after 1h = %d", got)
	}
	if err := fx.svc.Revoke(ctx, tok.Value); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Lookup(ctx, tok.Value); !errors.Is(err, oauth.ErrTokenNotFound) {
		t.Fatalf("Lookup after Revoke = %v", err)
	}
	if err := fx.svc.Revoke(ctx, tok.Value); !errors.Is(err, oauth.ErrTokenNotFound) {
		t.Fatalf("second Revoke = %v", err)
	}
	if _, err := fx.svc.Lookup(ctx, other.Value); err != nil {
		t.Fatalf("Revoke ended another token: %v", err)
	}
}

// Expiry is the service's own check, whatever the store still holds: Redis
// counts a token's lifetime from when it stored it, after the service's
// now, and another process's clock may lag. Here the store's clock stands
// still.
func TestExpiryIsTheServicesOwn(t *testing.T) {
	clock := testkit.NewClock()
	fx := newFixtureOn(t, clock.Now, testkit.NewClock().Now)
	ctx := t.Context()
	tok, err := fx.svc.Issue(ctx, "sudo", fx.secrets["sudo"], "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(12*time.Hour - time.Second)
	if _, err := fx.svc.Lookup(ctx, tok.Value); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := fx.svc.Lookup(ctx, tok.Value); !errors.Is(err, oauth.ErrTokenNotFound) {
		t.Fatalf("at expiry: %v", err)
	}
	if _, err := fx.store.GetAccessToken(ctx, store.Digest(tok.Value)); err != nil {
		t.Fatalf("the store no longer holds the token, so the service's check went untested: %v", err)
	}
}

// A fresh token has its whole lifetime left even on a clock that moves
// between issuing and answering (the real one does): the seed's 43200.
func TestExpiresInOnARunningClock(t *testing.T) {
	clock := testkit.NewClock()
	running := func() time.Time {
		clock.Advance(time.Millisecond)
		return clock.Now()
	}
	fx := newFixtureOn(t, running, clock.Now)
	tok, err := fx.svc.Issue(t.Context(), "sudo", fx.secrets["sudo"], "")
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.svc.ExpiresIn(tok.AccessToken); got != 43200 {
		t.Fatalf("ExpiresIn of a fresh token = %d, want 43200", got)
	}
}

func TestRemoveClient(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	a, _ := fx.svc.Issue(ctx, "acme", fx.secrets["acme"], "")
	b, _ := fx.svc.Issue(ctx, "multi", fx.secrets["multi"], "")
	if err := fx.svc.RemoveClient(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Lookup(ctx, a.Value); !errors.Is(err, oauth.ErrTokenNotFound) {
		t.Fatalf("removed client's token: %v", err)
	}
	if _, err := fx.svc.Lookup(ctx, b.Value); err != nil {
		t.Fatalf("another client's token: %v", err)
	}
	if _, err := fx.svc.Authenticate(ctx, "acme", fx.secrets["acme"], ""); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("removed client authenticates: %v", err)
	}
	if err := fx.svc.RemoveClient(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}

// FuzzSudo: whatever a request puts in sudo, tenantId and tenantCode, the
// answer is a user of a tenant the client may use, or one of the refusals.
func FuzzSudo(f *testing.F) {
	for _, s := range []string{"uid:2", "loginName:alice", "email:Alice@Example.com", "mobile:13800000001", "uid:", ":", "uid:1:2", "username:\x00"} {
		f.Add(s, "", "")
		f.Add(s, "1", "default")
	}
	f.Fuzz(func(t *testing.T, sudo, tenantID, tenantCode string) {
		fx := newFixture(t)
		u, err := fx.svc.Sudo(t.Context(), "sudo", oauth.SudoRequest{Sudo: sudo, TenantID: tenantID, TenantCode: tenantCode}, "192.0.2.1")
		switch {
		case err == nil:
			if u.ID == 0 || u.Disabled || u.TenantID != 1 {
				t.Fatalf("sudo %q gave %+v", sudo, u)
			}
		case errors.Is(err, oauth.ErrBadSudo), errors.Is(err, oauth.ErrSudoNotFound), errors.Is(err, oauth.ErrTenant):
		default:
			t.Fatalf("sudo %q: unexpected error %v", sudo, err)
		}
	})
}

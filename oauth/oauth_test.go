package oauth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xtraauth/lockout"
	"xtraauth/oauth"
	"xtraauth/store"
)

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakes implements every store the service uses, in memory.
type fakes struct {
	mu      sync.Mutex
	now     time.Time
	tick    time.Duration // added to now on every read, for a clock that runs
	users   []store.User
	tenants []store.Tenant
	clients map[string]store.Client
	tokens  map[string]store.AccessToken
	audit   []store.AuditEvent

	enterErr error
	entered  []string
	finished []string // "id:true" / "id:false"
}

func (f *fakes) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(f.tick)
	return f.now
}

func (f *fakes) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakes) findUser(match func(store.User) bool) (store.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if match(u) {
			return u, nil
		}
	}
	return store.User{}, store.ErrNotFound
}

func (f *fakes) GetUser(_ context.Context, id int64) (store.User, error) {
	return f.findUser(func(u store.User) bool { return u.ID == id })
}
func (f *fakes) GetUserByLogin(_ context.Context, login string) (store.User, error) {
	return f.findUser(func(u store.User) bool { return strings.EqualFold(u.Login, login) })
}
func (f *fakes) GetUserByEmail(_ context.Context, email string) (store.User, error) {
	return f.findUser(func(u store.User) bool { return email != "" && strings.EqualFold(u.Email, email) })
}
func (f *fakes) GetUserByMobile(_ context.Context, mobile string) (store.User, error) {
	return f.findUser(func(u store.User) bool { return mobile != "" && u.Mobile == mobile })
}

func (f *fakes) CreateTenant(_ context.Context, t store.Tenant) (store.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t.ID = int64(len(f.tenants) + 1)
	f.tenants = append(f.tenants, t)
	return t, nil
}
func (f *fakes) GetTenant(_ context.Context, id int64) (store.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tenants {
		if t.ID == id {
			return t, nil
		}
	}
	return store.Tenant{}, store.ErrNotFound
}
func (f *fakes) GetTenantByCode(_ context.Context, code string) (store.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tenants {
		if t.Code == code {
			return t, nil
		}
	}
	return store.Tenant{}, store.ErrNotFound
}
func (f *fakes) ListTenants(context.Context) ([]store.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tenants), nil
}

func (f *fakes) CreateClient(_ context.Context, c store.Client) (store.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.clients[c.ID]; ok {
		return store.Client{}, store.ErrAlreadyExists
	}
	f.clients[c.ID] = c
	return c, nil
}
func (f *fakes) GetClient(_ context.Context, id string) (store.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.clients[id]
	if !ok {
		return store.Client{}, store.ErrNotFound
	}
	return c, nil
}
func (f *fakes) ListClients(context.Context) ([]store.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Client
	for _, c := range f.clients {
		out = append(out, c)
	}
	return out, nil
}
func (f *fakes) DeleteClient(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.clients[id]; !ok {
		return store.ErrNotFound
	}
	delete(f.clients, id)
	return nil
}

func (f *fakes) CreateAccessToken(_ context.Context, digest string, t store.AccessToken) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[digest] = t
	return nil
}
func (f *fakes) GetAccessToken(_ context.Context, digest string) (store.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tokens[digest]
	if !ok {
		return store.AccessToken{}, store.ErrNotFound
	}
	return t, nil // no expiry here: the service must check the time itself
}
func (f *fakes) DeleteAccessToken(_ context.Context, digest string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokens[digest]; !ok {
		return store.ErrNotFound
	}
	delete(f.tokens, digest)
	return nil
}
func (f *fakes) DeleteClientAccessTokens(_ context.Context, clientID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d, t := range f.tokens {
		if t.ClientID == clientID {
			delete(f.tokens, d)
		}
	}
	return nil
}

func (f *fakes) AddAuditEvent(_ context.Context, e store.AuditEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audit = append(f.audit, e)
	return nil
}

func (f *fakes) EnterClient(_ context.Context, id, _ string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entered = append(f.entered, id)
	return 0, f.enterErr
}
func (f *fakes) FinishClient(_ context.Context, id, _ string, _ int, ok bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ok {
		f.finished = append(f.finished, id+":true")
	} else {
		f.finished = append(f.finished, id+":false")
	}
	return nil
}

func (f *fakes) auditEvents() []store.AuditEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.audit)
}

// Users of the fixture, by id.
const (
	admin = 1 // tenant 1 (default)
	alice = 2 // tenant 1, email and mobile
	bob   = 3 // tenant 2 (acme)
	carol = 4 // tenant 1, disabled
	dave  = 5 // tenant 3 (globex)
)

type fixture struct {
	*fakes
	svc     *oauth.Service
	secrets map[string]string
}

// newFixture: tenants default(1), acme(2), globex(3); clients "plain" (no
// sudo), "sudo" (sudo, no tenants), "acme" (sudo, acme), "multi" (sudo,
// acme and globex).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fakes{now: start, clients: map[string]store.Client{}, tokens: map[string]store.AccessToken{}}
	f.tenants = []store.Tenant{{ID: 1, Code: "default"}, {ID: 2, Code: "acme"}, {ID: 3, Code: "globex"}}
	f.users = []store.User{
		{ID: admin, Login: "admin", TenantID: 1, IsSuper: true},
		{ID: alice, Login: "alice", Email: "Alice@Example.com", Mobile: "13800000001", TenantID: 1},
		{ID: bob, Login: "bob", Email: "bob@acme.test", Mobile: "13900000002", TenantID: 2},
		{ID: carol, Login: "carol", Email: "carol@example.com", Mobile: "13700000003", TenantID: 1, Disabled: true},
		{ID: dave, Login: "dave", TenantID: 3},
	}
	svc := oauth.New(oauth.Deps{Clients: f, Tenants: f, Users: f, Tokens: f, Audit: f, Gate: f,
		TTL: 12 * time.Hour, Now: f.Now})
	fx := &fixture{fakes: f, svc: svc, secrets: map[string]string{}}
	for _, c := range []struct {
		id      string
		sudo    bool
		tenants []string
	}{
		{"plain", false, nil}, {"sudo", true, nil}, {"acme", true, []string{"acme"}}, {"multi", true, []string{"acme", "globex"}},
	} {
		_, secret, err := svc.CreateClient(t.Context(), c.id, c.sudo, c.tenants)
		if err != nil {
			t.Fatal(err)
		}
		fx.secrets[c.id] = secret
	}
	return fx
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
	if n := len(fx.auditEvents()); n != 0 {
		t.Errorf("refused sudo wrote %d audit events", n)
	}
}

func TestSudoIsAudited(t *testing.T) {
	fx := newFixture(t)
	if _, err := fx.svc.Sudo(t.Context(), "acme", oauth.SudoRequest{Sudo: "email:BOB@acme.test"}, "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	events := fx.auditEvents()
	if len(events) != 1 {
		t.Fatalf("audit = %+v, want one event", events)
	}
	e := events[0]
	if e.Kind != "sudo" || e.Subject != "bob" || e.Address != "192.0.2.7" || !strings.Contains(e.Outcome, "acme") || !e.At.Equal(start) {
		t.Fatalf("audit event = %+v, want sudo of bob by client acme from 192.0.2.7 at %s", e, start)
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
		if c.ID != id || !c.MaySudo || !slices.Equal(c.TenantIDs, []int64{2}) || !c.CreatedAt.Equal(start) {
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
	if _, err := fx.GetClient(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a client with an unknown tenant was stored: %v", err)
	}
	_, s1, _ := fx.svc.CreateClient(ctx, "s1", false, nil)
	_, s2, _ := fx.svc.CreateClient(ctx, "s2", false, nil)
	if s1 == s2 {
		t.Errorf("two clients got the same secret %q", s1)
	}
}

func TestAuthenticate(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	c, err := fx.svc.Authenticate(ctx, "sudo", fx.secrets["sudo"], "192.0.2.1")
	if err != nil || c.ID != "sudo" {
		t.Fatalf("right secret: %+v, %v", c, err)
	}
	if _, err := fx.svc.Authenticate(ctx, "sudo", fx.secrets["plain"], "192.0.2.1"); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("another client's secret: %v", err)
	}
	if _, err := fx.svc.Authenticate(ctx, "nobody", "whatever", "192.0.2.1"); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("unknown client: %v", err)
	}
	// The stored digest is not a secret.
	cl, _ := fx.GetClient(ctx, "sudo")
	if _, err := fx.svc.Authenticate(ctx, "sudo", cl.SecretHash, "192.0.2.1"); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("the digest as secret: %v", err)
	}
	want := []string{"sudo:true", "sudo:false", "nobody:false", "sudo:false"}
	if !slices.Equal(fx.finished, want) || !slices.Equal(fx.entered, []string{"sudo", "sudo", "nobody", "sudo"}) {
		t.Fatalf("gate saw enter %v, finish %v; want every attempt counted: %v", fx.entered, fx.finished, want)
	}

	// A locked client is refused before its secret is looked at.
	fx.enterErr = &lockout.LockedError{RetryAfter: time.Hour}
	_, err = fx.svc.Authenticate(ctx, "sudo", fx.secrets["sudo"], "192.0.2.1")
	var locked *lockout.LockedError
	if !errors.As(err, &locked) || len(fx.finished) != len(want) {
		t.Fatalf("locked: %v, finish %v", err, fx.finished)
	}
	if _, err := fx.svc.Issue(ctx, "sudo", fx.secrets["sudo"], "192.0.2.1"); !errors.As(err, &locked) {
		t.Fatalf("Issue while locked: %v", err)
	}
	if len(fx.tokens) != 0 {
		t.Fatalf("a locked client got a token")
	}
}

func TestTokens(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	tok, err := fx.svc.Issue(ctx, "sudo", fx.secrets["sudo"], "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Value) < 43 || tok.ClientID != "sudo" || !tok.ExpiresAt.Equal(start.Add(12*time.Hour)) {
		t.Fatalf("Issue = %+v", tok)
	}
	if _, ok := fx.tokens[store.Digest(tok.Value)]; !ok || len(fx.tokens) != 1 {
		t.Fatalf("the token is not kept by its digest: %v", fx.tokens)
	}
	if _, ok := fx.tokens[tok.Value]; ok {
		t.Fatalf("the token is kept in the clear")
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

	fx.advance(time.Hour)
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

	// Expiry is the service's own check, whatever the store still holds.
	fx.advance(11*time.Hour - time.Second)
	if _, err := fx.svc.Lookup(ctx, other.Value); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	fx.advance(time.Second)
	if _, err := fx.svc.Lookup(ctx, other.Value); !errors.Is(err, oauth.ErrTokenNotFound) {
		t.Fatalf("at expiry: %v", err)
	}
}

// A fresh token has its whole lifetime left even on a clock that moves
// between issuing and answering (the real one does): the seed's 43200.
func TestExpiresInOnARunningClock(t *testing.T) {
	fx := newFixture(t)
	fx.tick = time.Millisecond
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

package handlers_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"xtraauth/app"
	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/internal/testkit"
	"xtraauth/store"
)

// fdClient adds an OAuth client and returns its secret.
func fdClient(t testing.TB, e *apptest.Env, id string, sudo bool, tenants ...string) string {
	t.Helper()
	_, secret, err := e.App.OAuth.CreateClient(context.Background(), id, sudo, tenants)
	if err != nil {
		t.Fatalf("client %s: %v", id, err)
	}
	return secret
}

// fdBasic is client_secret_basic as RFC 6749 2.3.1 has it: both parts
// form-urlencoded, then Basic.
func fdBasic(id, secret string) []string {
	raw := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))}
}

func fdForm(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

// fdAccessToken gets a token from POST /oauth2/token (client_secret_post).
func fdAccessToken(t testing.TB, e *apptest.Env, id, secret string) string {
	t.Helper()
	r := e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials", "client_id", id, "client_secret", secret))
	if r.Status != http.StatusOK {
		t.Fatalf("token for %s: %d %s", id, r.Status, r.Body)
	}
	return r.JSON(t)["access_token"].(string)
}

// fdAddUser creates a user with every field sudo may name.
func fdAddUser(t testing.TB, e *apptest.Env, u store.User) store.User {
	t.Helper()
	if u.Name == "" {
		u.Name = u.Login
	}
	created, err := e.App.Accounts.Create(context.Background(), u, u.Login+"-password")
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func fdTenant(t testing.TB, e *apptest.Env, code string) store.Tenant {
	t.Helper()
	tn, err := e.App.SQL.CreateTenant(context.Background(), store.Tenant{Code: code, Name: code, CreatedAt: e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func fdXSwitchError(status int, text string) map[string]any {
	return map[string]any{"code": status, "text": text, "message": text}
}

// fdOAuthError checks an RFC 6749 5.2 error body.
func fdOAuthError(t testing.TB, r apptest.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	body, _ := decode(t, r).(map[string]any)
	if body["error"] != code || len(body) > 2 {
		t.Fatalf("body %s, want {\"error\":%q[, \"error_description\"]}", r.Body, code)
	}
	if d, ok := body["error_description"]; ok {
		if _, isString := d.(string); !isString {
			t.Fatalf("error_description %v", d)
		}
	}
}

func TestOAuthClientCredentialsLibrary(t *testing.T) {
	e := apptest.New(t)
	alice := fdAddUser(t, e, store.User{Login: "alice"})
	for _, id := range []string{"svc", "build bot@corp.example+1"} {
		secret := fdClient(t, e, id, true)
		for name, style := range map[string]oauth2.AuthStyle{
			"client_secret_basic": oauth2.AuthStyleInHeader,
			"client_secret_post":  oauth2.AuthStyleInParams,
			"auto-detect":         oauth2.AuthStyleAutoDetect,
		} {
			t.Run(id+"/"+name, func(t *testing.T) {
				cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret,
					TokenURL: e.Server.URL + "/oauth2/token", AuthStyle: style}
				ctx := context.WithValue(t.Context(), oauth2.HTTPClient, e.Server.Client())
				tok, err := cfg.Token(ctx)
				if err != nil {
					t.Fatalf("Token: %v", err)
				}
				if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "bearer") || tok.Extra("scope") != "sodu" {
					t.Fatalf("token %+v, scope %v", tok, tok.Extra("scope"))
				}
				if left := time.Until(tok.Expiry); left < 12*time.Hour-time.Minute || left > 12*time.Hour {
					t.Errorf("expires in %s, want 12h", left)
				}
				client := cfg.Client(ctx)
				get := func(path string) (*http.Response, []byte) {
					t.Helper()
					res, err := client.Get(e.Server.URL + path)
					if err != nil {
						t.Fatal(err)
					}
					defer res.Body.Close()
					raw, _ := io.ReadAll(res.Body)
					return res, raw
				}
				res, raw := get("/api/users/me?sudo=loginName:alice")
				if res.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"login":"alice"`) {
					t.Fatalf("/api/users/me with sudo: %d %s", res.StatusCode, raw)
				}
				res, raw = get("/api/users/" + strconv.FormatInt(alice.ID, 10) + "?sudo=uid:" + strconv.FormatInt(alice.ID, 10))
				if res.StatusCode != http.StatusOK {
					t.Fatalf("/api/users/{id} with sudo: %d %s", res.StatusCode, raw)
				}
				res, _ = get("/api/auth")
				if res.StatusCode != http.StatusOK || res.Header.Get("X-Xtra-Client-Id") != id {
					t.Fatalf("/api/auth as the client: %d %q", res.StatusCode, res.Header.Get("X-Xtra-Client-Id"))
				}
				res, raw = get("/api/users/me")
				if res.StatusCode != http.StatusForbidden {
					t.Fatalf("/api/users/me as the client itself: %d %s", res.StatusCode, raw)
				}
			})
		}
	}
	// A wrong secret is an error the library reports.
	cfg := clientcredentials.Config{ClientID: "svc", ClientSecret: "wrong", TokenURL: e.Server.URL + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader}
	_, err := cfg.Token(context.WithValue(t.Context(), oauth2.HTTPClient, e.Server.Client()))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestOAuthCompatEndpoints(t *testing.T) {
	e := apptest.New(t)
	secret := fdClient(t, e, "svc", false)
	issue := "/api/oauth2/server/tokens?grant_type=client_credentials&client_id=svc&client_secret=" + url.QueryEscape(secret)
	r := e.Do("GET", issue, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	token, _ := r.JSON(t)["access_token"].(string)
	seed := func(expiresIn string) map[string]any {
		return map[string]any{"access_token": token, "token_type": "bearer", "expires_in": expiresIn, "scope": "sodu"}
	}
	wantBody(t, r, http.StatusOK, seed("43200"))
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	check := "/api/oauth2/server/tokens/check?token=" + url.QueryEscape(token)
	wantBody(t, e.Do("GET", check, nil), http.StatusOK, seed("43200"))
	e.Advance(time.Hour + 30*time.Second)
	wantBody(t, e.Do("GET", check, nil), http.StatusOK, seed("39570"))
	// The token works as Bearer and as ?access_token=.
	if r := e.Do("GET", "/api/auth", nil, fdBearer(token)...); r.Status != http.StatusOK {
		t.Fatalf("/api/auth: %d", r.Status)
	}

	revoke := "/api/oauth2/server/tokens/revoke?token=" + url.QueryEscape(token)
	wantBody(t, e.Do("GET", revoke, nil), http.StatusOK, map[string]any{"code": 0, "msg": "success"})
	if r := e.Do("GET", check, nil); r.Status != http.StatusNotFound {
		t.Fatalf("check after revoke: %d %s", r.Status, r.Body)
	}
	r = e.Do("GET", revoke, nil)
	if body := r.JSON(t); body["code"] == float64(0) || body["code"] == nil || body["msg"] == "success" {
		t.Fatalf("revoke of a revoked token: %d %s; want a non-zero code", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/auth", nil, fdBearer(token)...); r.Status != http.StatusUnauthorized {
		t.Fatalf("/api/auth after revoke: %d", r.Status)
	}
	if r := e.Do("GET", "/api/oauth2/server/tokens/check", nil); r.Status != http.StatusNotFound {
		t.Fatalf("check without token: %d %s", r.Status, r.Body)
	}

	// Errors.
	wantBody(t, e.Do("GET", strings.Replace(issue, "client_credentials", "password", 1), nil), http.StatusBadRequest,
		fdXSwitchError(400, "grant_type must be client_credentials"))
	wantBody(t, e.Do("GET", strings.Replace(issue, url.QueryEscape(secret), "wrong", 1), nil), http.StatusUnauthorized,
		fdXSwitchError(401, "Invalid Client"))
	wantBody(t, e.Do("GET", "/api/oauth2/server/tokens?grant_type=client_credentials&client_id=svc", nil), http.StatusUnauthorized,
		fdXSwitchError(401, "Invalid Client"))

	// A token ends after XTRA_OAUTH_TOKEN_TTL (12h).
	token2, _ := e.Do("GET", issue, nil).JSON(t)["access_token"].(string)
	check2 := "/api/oauth2/server/tokens/check?token=" + url.QueryEscape(token2)
	e.Advance(12*time.Hour - time.Second)
	wantBody(t, e.Do("GET", check2, nil), http.StatusOK,
		map[string]any{"access_token": token2, "token_type": "bearer", "expires_in": "1", "scope": "sodu"})
	e.Advance(time.Second)
	if r := e.Do("GET", check2, nil); r.Status != http.StatusNotFound {
		t.Fatalf("check after 12h: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/auth", nil, fdBearer(token2)...); r.Status != http.StatusUnauthorized {
		t.Fatalf("/api/auth after 12h: %d", r.Status)
	}
}

func TestOAuthTokenTTLSetting(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.OAuthTokenTTL = time.Hour })
	secret := fdClient(t, e, "svc", false)
	r := e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials"), fdBasic("svc", secret)...)
	if r.Status != http.StatusOK || r.JSON(t)["expires_in"] != float64(3600) {
		t.Fatalf("token: %d %s; want expires_in 3600", r.Status, r.Body)
	}
}

func TestOAuthTokenEndpoint(t *testing.T) {
	e := apptest.New(t)
	secret := fdClient(t, e, "svc", false)
	form := fdForm("grant_type", "client_credentials", "client_id", "svc", "client_secret", secret)
	for name, r := range map[string]apptest.Response{
		"client_secret_post":  e.Do("POST", "/oauth2/token", form),
		"client_secret_basic": e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials"), fdBasic("svc", secret)...),
	} {
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		body := r.JSON(t)
		token, _ := body["access_token"].(string)
		wantBody(t, r, http.StatusOK, map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 43200, "scope": "sodu"})
		if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
			t.Errorf("%s: caching headers %q %q", name, r.Header.Get("Cache-Control"), r.Header.Get("Pragma"))
		}
		if len(token) < 43 {
			t.Errorf("%s: short token %q", name, token)
		}
	}

	for _, grant := range []string{"password", "authorization_code", "refresh_token", "client_credentials "} {
		r := e.Do("POST", "/oauth2/token", fdForm("grant_type", grant, "client_id", "svc", "client_secret", secret))
		fdOAuthError(t, r, http.StatusBadRequest, "unsupported_grant_type")
	}
	fdOAuthError(t, e.Do("POST", "/oauth2/token", fdForm("client_id", "svc", "client_secret", secret)), http.StatusBadRequest, "invalid_request")
	fdOAuthError(t, e.Do("POST", "/oauth2/token", "grant_type=client_credentials", "Content-Type", "text/plain"), http.StatusBadRequest, "invalid_request")
	fdOAuthError(t, e.Do("GET", "/oauth2/token", nil), http.StatusMethodNotAllowed, "invalid_request")

	// Wrong secrets: 401 invalid_client, with WWW-Authenticate for Basic.
	r := e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials"), fdBasic("svc", "wrong")...)
	fdOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
	if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic") {
		t.Errorf("WWW-Authenticate %q, want Basic", got)
	}
	r = e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials", "client_id", "svc", "client_secret", "wrong"))
	fdOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
	fdOAuthError(t, e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials", "client_id", "nobody", "client_secret", "x")),
		http.StatusUnauthorized, "invalid_client")
	fdOAuthError(t, e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials")), http.StatusUnauthorized, "invalid_client")
	// Only client_credentials exists, so a user's password is no secret here.
	fdOAuthError(t, e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials", "client_id", "admin", "client_secret", apptest.AdminPassword)),
		http.StatusUnauthorized, "invalid_client")
}

func TestOAuthClientLockout(t *testing.T) {
	e := apptest.New(t)
	secret := fdClient(t, e, "admin", false) // a client named like the user admin
	post := func(s string) apptest.Response {
		return e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials"), fdBasic("admin", s)...)
	}
	// Clients never get a captcha: past CaptchaAfter the right secret works.
	for range 4 {
		fdOAuthError(t, post("wrong"), http.StatusUnauthorized, "invalid_client")
	}
	if r := post(secret); r.Status != http.StatusOK {
		t.Fatalf("right secret after 4 failures: %d %s", r.Status, r.Body)
	}
	// The good secret reset the count. Every endpoint that checks the
	// secret counts in the same place: 4 failures there, then the 5th locks.
	fdOAuthError(t, e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials", "client_id", "admin", "client_secret", "wrong")),
		http.StatusUnauthorized, "invalid_client")
	fdOAuthError(t, e.Do("POST", "/oauth2/introspect", fdForm("token", "x"), fdBasic("admin", "wrong")...), http.StatusUnauthorized, "invalid_client")
	fdOAuthError(t, e.Do("POST", "/oauth2/revoke", fdForm("token", "x"), fdBasic("admin", "wrong")...), http.StatusUnauthorized, "invalid_client")
	if r := e.Do("GET", "/api/oauth2/server/tokens?grant_type=client_credentials&client_id=admin&client_secret=wrong", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("compat wrong secret: %d %s", r.Status, r.Body)
	}
	fdOAuthError(t, post("wrong"), http.StatusUnauthorized, "invalid_client") // the 5th locks
	for name, r := range map[string]apptest.Response{
		"wrong secret": post("wrong"),
		"right secret": post(secret),
		"introspect":   e.Do("POST", "/oauth2/introspect", fdForm("token", "x"), fdBasic("admin", secret)...),
	} {
		fdOAuthError(t, r, http.StatusTooManyRequests, "invalid_client")
		if got := r.Header.Get("Retry-After"); got != "7200" {
			t.Errorf("%s: Retry-After %q, want 7200", name, got)
		}
	}
	r := e.Do("GET", "/api/oauth2/server/tokens?grant_type=client_credentials&client_id=admin&client_secret="+url.QueryEscape(secret), nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "7200" || r.JSON(t)["retry_after"] != float64(7200) {
		t.Errorf("compat issue while locked: %d %q %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}

	// Admins see the client's lock, under its own name, and can lift it.
	admin := e.Login("admin", apptest.AdminPassword)
	r = e.Do("GET", "/api/locks", nil, "X-XTRA-AUTH-ID", admin)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"login":"client:admin"`) || strings.Contains(string(r.Body), `"login":"admin"`) {
		t.Errorf("locks: %s", r.Body)
	}
	if r := e.Do("DELETE", "/api/locks/client:admin", nil, "X-XTRA-AUTH-ID", admin); r.Status != http.StatusOK {
		t.Fatalf("unlock: %d %s", r.Status, r.Body)
	}
	if r := post(secret); r.Status != http.StatusOK {
		t.Fatalf("after unlock: %d %s", r.Status, r.Body)
	}
}

func TestOAuthIntrospectAndRevoke(t *testing.T) {
	e := apptest.New(t)
	secret := fdClient(t, e, "svc", false)
	otherSecret := fdClient(t, e, "other", false)
	token := fdAccessToken(t, e, "svc", secret)
	issued := e.Clock.Now()
	otherToken := fdAccessToken(t, e, "other", otherSecret)
	introspect := func(tok string) apptest.Response {
		return e.Do("POST", "/oauth2/introspect", fdForm("token", tok), fdBasic("svc", secret)...)
	}
	inactive := map[string]any{"active": false}
	wantBody(t, introspect(token), http.StatusOK, map[string]any{"active": true, "client_id": "svc", "scope": "sodu",
		"token_type": "Bearer", "iat": issued.Unix(), "exp": issued.Add(12 * time.Hour).Unix()})
	wantBody(t, introspect("unknown"), http.StatusOK, inactive)
	wantBody(t, introspect(""), http.StatusOK, inactive)
	wantBody(t, introspect(otherToken), http.StatusOK, inactive) // not the caller's
	r := e.Do("POST", "/oauth2/introspect", fdForm("token", token, "client_id", "svc", "client_secret", secret))
	if r.Status != http.StatusOK || r.JSON(t)["active"] != true {
		t.Fatalf("introspect with client_secret_post: %d %s", r.Status, r.Body)
	}
	r = e.Do("POST", "/oauth2/introspect", fdForm("token", token), fdBasic("svc", "wrong")...)
	fdOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
	fdOAuthError(t, e.Do("POST", "/oauth2/introspect", fdForm("token", token)), http.StatusUnauthorized, "invalid_client")

	revoke := func(id, sec, tok string) apptest.Response {
		return e.Do("POST", "/oauth2/revoke", fdForm("token", tok, "token_type_hint", "access_token"), fdBasic(id, sec)...)
	}
	// RFC 7009: unknown tokens and other clients' tokens answer 200 too,
	// but another client's token is left alone.
	if r := revoke("svc", secret, "unknown"); r.Status != http.StatusOK {
		t.Fatalf("revoke unknown: %d %s", r.Status, r.Body)
	}
	if r := revoke("svc", secret, otherToken); r.Status != http.StatusOK {
		t.Fatalf("revoke another's: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/auth", nil, fdBearer(otherToken)...); r.Status != http.StatusOK {
		t.Fatalf("another client revoked a token not its own: %d", r.Status)
	}
	fdOAuthError(t, revoke("svc", "wrong", token), http.StatusUnauthorized, "invalid_client")
	if r := e.Do("GET", "/api/auth", nil, fdBearer(token)...); r.Status != http.StatusOK {
		t.Fatalf("revoked with a wrong secret: %d", r.Status)
	}
	if r := revoke("svc", secret, token); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	wantBody(t, introspect(token), http.StatusOK, inactive)
	if r := e.Do("GET", "/api/auth", nil, fdBearer(token)...); r.Status != http.StatusUnauthorized {
		t.Fatalf("/api/auth after revoke: %d", r.Status)
	}
	if r := revoke("svc", secret, token); r.Status != http.StatusOK {
		t.Fatalf("revoke twice: %d %s", r.Status, r.Body)
	}

	// Expired tokens are inactive.
	token = fdAccessToken(t, e, "svc", secret)
	e.Advance(12 * time.Hour)
	wantBody(t, introspect(token), http.StatusOK, inactive)
}

// fdSudoEnv: tenants default and acme; users alice (default tenant, email
// and mobile), bob (acme), carol (default, disabled); clients "svc" (sudo,
// no tenants), "acme" (sudo, acme), "plain" (no sudo).
type fdSudoEnv struct {
	*apptest.Env
	alice, bob, carol store.User
	acme              store.Tenant
	svc, acmeC, plain string // tokens
}

func newFDSudoEnv(t *testing.T) *fdSudoEnv {
	t.Helper()
	e := apptest.New(t)
	s := &fdSudoEnv{Env: e}
	s.acme = fdTenant(t, e, "acme")
	s.alice = fdAddUser(t, e, store.User{Login: "alice", Email: "alice@example.com", Mobile: "13800000001"})
	s.bob = fdAddUser(t, e, store.User{Login: "bob", Email: "bob@acme.test", Mobile: "13900000002", TenantID: s.acme.ID})
	s.carol = fdAddUser(t, e, store.User{Login: "carol", Email: "carol@example.com", Mobile: "13700000003"})
	if _, err := e.App.SQL.UpdateUser(t.Context(), s.carol.ID, func(u *store.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	s.svc = fdAccessToken(t, e, "svc", fdClient(t, e, "svc", true))
	s.acmeC = fdAccessToken(t, e, "acme", fdClient(t, e, "acme", true, "acme"))
	s.plain = fdAccessToken(t, e, "plain", fdClient(t, e, "plain", false))
	return s
}

func (s *fdSudoEnv) me(t *testing.T, token, query string) apptest.Response {
	t.Helper()
	return s.Do("GET", "/api/users/me?"+query, nil, fdBearer(token)...)
}

func TestOAuthSudo(t *testing.T) {
	s := newFDSudoEnv(t)
	aliceID := strconv.FormatInt(s.alice.ID, 10)
	for _, q := range []string{
		"sudo=uid:" + aliceID, "sudo=loginName:alice", "sudo=loginName:ALICE", "sudo=email:alice@example.com",
		"sudo=mobile:13800000001", "sudo=username:alice", "sudo=uid:" + aliceID + "&tenantId=1",
		"sudo=uid:" + aliceID + "&tenantCode=default",
	} {
		r := s.me(t, s.svc, q)
		if r.Status != http.StatusOK || r.JSON(t)["login"] != "alice" {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
	// The access token in the query, as the seed shows.
	r := s.Do("GET", "/api/users/me?access_token="+url.QueryEscape(s.svc)+"&sudo=uid:"+aliceID, nil)
	if r.Status != http.StatusOK || r.JSON(t)["login"] != "alice" {
		t.Fatalf("?access_token=&sudo=: %d %s", r.Status, r.Body)
	}
	r = s.Do("GET", "/api/users/me?access_token="+url.QueryEscape(s.acmeC)+"&sudo=loginName:bob&tenantCode=acme", nil)
	if r.Status != http.StatusOK || r.JSON(t)["login"] != "bob" {
		t.Fatalf("tenant client: %d %s", r.Status, r.Body)
	}

	for _, c := range []struct {
		name, token, query string
		status             int
		text               string
	}{
		{"no sudo right", s.plain, "sudo=uid:" + aliceID, 403, "Sudo Not Allowed"},
		{"no sudo right, unknown user", s.plain, "sudo=uid:999", 403, "Sudo Not Allowed"},
		{"unknown uid", s.svc, "sudo=uid:999", 404, "Sudo User Not Found"},
		{"unknown login", s.svc, "sudo=loginName:nobody", 404, "Sudo User Not Found"},
		{"unknown email", s.svc, "sudo=email:nobody@example.com", 404, "Sudo User Not Found"},
		{"disabled user", s.svc, "sudo=loginName:carol", 404, "Sudo User Not Found"},
		{"disabled user by mobile", s.svc, "sudo=mobile:13700000003", 404, "Sudo User Not Found"},
		{"user of another tenant", s.svc, "sudo=loginName:bob", 403, "Tenant Not Allowed"},
		{"tenantId mismatch", s.svc, "sudo=loginName:alice&tenantId=" + strconv.FormatInt(s.acme.ID, 10), 403, "Tenant Not Allowed"},
		{"tenantCode mismatch", s.svc, "sudo=loginName:alice&tenantCode=acme", 403, "Tenant Not Allowed"},
		{"unknown tenantCode", s.svc, "sudo=loginName:alice&tenantCode=nope", 403, "Tenant Not Allowed"},
		{"tenant client, default user", s.acmeC, "sudo=loginName:alice", 403, "Tenant Not Allowed"},
		{"tenant client, wrong tenantId", s.acmeC, "sudo=loginName:bob&tenantId=1", 403, "Tenant Not Allowed"},
		{"client itself on a user route", s.svc, "", 403, "Forbidden"},
		{"empty sudo", s.svc, "sudo=", 403, "Forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantBody(t, s.me(t, c.token, c.query), c.status, fdXSwitchError(c.status, c.text))
		})
	}
	for _, q := range []string{"sudo=alice", "sudo=uid:", "sudo=id:1", "sudo=UID:1"} {
		if r := s.me(t, s.svc, q); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, r.Status, r.Body)
		}
	}

	// Sudo on a user's credentials is refused, whatever they are.
	userToken := s.Login("alice", "alice-password")
	dmsToken := fdDMSLogin(t, s.Env, "alice", "alice-password")
	for name, h := range map[string][]string{
		"XSwitch token":   {"X-XTRA-AUTH-ID", userToken},
		"Bearer session":  fdBearer(userToken),
		"dms-token":       fdCookie(dmsToken),
		"DMS JWT, Bearer": fdBearer(dmsToken),
	} {
		t.Run(name, func(t *testing.T) {
			r := s.Do("GET", "/api/users/me?sudo=loginName:admin", nil, h...)
			wantBody(t, r, http.StatusForbidden, fdXSwitchError(403, "Sudo Not Allowed"))
		})
	}
	r = s.Do("GET", "/api/users/me?access_token="+url.QueryEscape(userToken)+"&sudo=loginName:admin", nil)
	wantBody(t, r, http.StatusForbidden, fdXSwitchError(403, "Sudo Not Allowed"))
}

func TestOAuthSudoIsAudited(t *testing.T) {
	s := newFDSudoEnv(t)
	if r := s.me(t, s.svc, "sudo=loginName:alice"); r.Status != http.StatusOK {
		t.Fatalf("sudo: %d %s", r.Status, r.Body)
	}
	admin := s.Login("admin", apptest.AdminPassword)
	r := s.Do("GET", "/api/audit?login=alice", nil, "X-XTRA-AUTH-ID", admin)
	if r.Status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	rows, _ := r.JSON(t)["data"].([]any)
	found := false
	for _, row := range rows {
		m := row.(map[string]any)
		if m["kind"] == "sudo" && m["login"] == "alice" && strings.Contains(m["outcome"].(string), "svc") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no sudo audit row for alice by svc: %s", r.Body)
	}
	// Audit rows are for admins only, also through sudo of a plain user.
	if r := s.Do("GET", "/api/audit?sudo=loginName:alice", nil, fdBearer(s.svc)...); r.Status != http.StatusForbidden {
		t.Fatalf("audit through sudo to a user: %d", r.Status)
	}
}

func TestOAuthTokenExpiresAfter12h(t *testing.T) {
	s := newFDSudoEnv(t)
	s.Advance(12*time.Hour - time.Second)
	if r := s.me(t, s.svc, "sudo=loginName:alice"); r.Status != http.StatusOK {
		t.Fatalf("before 12h: %d %s", r.Status, r.Body)
	}
	s.Advance(time.Second)
	wantBody(t, s.me(t, s.svc, "sudo=loginName:alice"), http.StatusUnauthorized, fdXSwitchError(401, "Not Authorized"))
}

func TestOAuthClientsAPI(t *testing.T) {
	e := apptest.New(t)
	fdTenant(t, e, "acme")
	admin := e.Login("admin", apptest.AdminPassword)
	e.AddUser("alice", "alice-password", false)
	alice := e.Login("alice", "alice-password")
	asAdmin := []string{"X-XTRA-AUTH-ID", admin}

	r := e.Do("POST", "/api/oauth2/clients", map[string]any{"id": "ci", "sudo": 1, "tenants": []string{"acme"}}, asAdmin...)
	if r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	data, _ := r.JSON(t)["data"].(map[string]any)
	secret, _ := data["client_secret"].(string)
	if len(secret) < 43 {
		t.Fatalf("secret %q", secret)
	}
	wantBody(t, r, http.StatusOK, map[string]any{"code": 200, "data": map[string]any{"id": "ci", "sudo": 1, "tenant_ids": []int{2},
		"created_at": e.Clock.Now().UTC().Format(time.RFC3339), "client_secret": secret}})
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	token := fdAccessToken(t, e, "ci", secret)

	r = e.Do("POST", "/api/oauth2/clients", `id=plain&sudo=0`, asAdmin...)
	if r.Status != http.StatusOK {
		t.Fatalf("create with a form: %d %s", r.Status, r.Body)
	}

	// The list never shows a secret or its hash.
	r = e.Do("GET", "/api/oauth2/clients", nil, asAdmin...)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	body := string(r.Body)
	if strings.Contains(body, secret) || strings.Contains(body, store.Digest(secret)) || strings.Contains(body, "client_secret") {
		t.Fatalf("list shows a secret: %s", body)
	}
	list := r.JSON(t)
	if list["rowCount"] != float64(2) || !strings.Contains(body, `"id":"ci"`) || !strings.Contains(body, `"id":"plain"`) {
		t.Fatalf("list: %s", body)
	}

	// Refusals.
	for _, c := range []struct {
		body   any
		status int
	}{
		{map[string]any{"id": "ci"}, http.StatusConflict},
		{map[string]any{"id": ""}, http.StatusBadRequest},
		{map[string]any{"id": "a:b"}, http.StatusBadRequest},
		{map[string]any{"id": strings.Repeat("x", 129)}, http.StatusBadRequest},
		{map[string]any{"id": "x", "tenants": []string{"nope"}}, http.StatusBadRequest},
		{map[string]any{"id": "x", "sudo": "maybe"}, http.StatusBadRequest},
	} {
		if r := e.Do("POST", "/api/oauth2/clients", c.body, asAdmin...); r.Status != c.status {
			t.Errorf("create %v: %d %s, want %d", c.body, r.Status, r.Body, c.status)
		}
	}
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/oauth2/clients"}, {"POST", "/api/oauth2/clients"}, {"DELETE", "/api/oauth2/clients/ci"},
	} {
		var b any
		if req.method == "POST" {
			b = map[string]any{"id": "mine"}
		}
		wantBody(t, e.Do(req.method, req.path, b, "X-XTRA-AUTH-ID", alice), http.StatusForbidden, fdXSwitchError(403, "Forbidden"))
		wantBody(t, e.Do(req.method, req.path, b), http.StatusUnauthorized, fdXSwitchError(401, "Not Authorized"))
		// A client's own token is no admin either.
		if r := e.Do(req.method, req.path, b, fdBearer(token)...); r.Status != http.StatusForbidden {
			t.Errorf("%s %s with a client token: %d", req.method, req.path, r.Status)
		}
	}

	// Removing a client ends its tokens and its secret.
	wantBody(t, e.Do("DELETE", "/api/oauth2/clients/ci", nil, asAdmin...), http.StatusOK, map[string]any{"code": 200, "text": "OK"})
	if r := e.Do("GET", "/api/auth", nil, fdBearer(token)...); r.Status != http.StatusUnauthorized {
		t.Fatalf("a removed client's token: %d", r.Status)
	}
	if r := e.Do("GET", "/api/oauth2/server/tokens/check?token="+url.QueryEscape(token), nil); r.Status != http.StatusNotFound {
		t.Fatalf("check of a removed client's token: %d", r.Status)
	}
	fdOAuthError(t, e.Do("POST", "/oauth2/token", fdForm("grant_type", "client_credentials"), fdBasic("ci", secret)...),
		http.StatusUnauthorized, "invalid_client")
	if r := e.Do("DELETE", "/api/oauth2/clients/ci", nil, asAdmin...); r.Status != http.StatusNotFound {
		t.Fatalf("delete twice: %d %s", r.Status, r.Body)
	}
}

// Secrets sent in query strings (the seed's GET endpoints do) never reach
// the server's log, also when a request fails inside.
func TestOAuthSecretsNeverLogged(t *testing.T) {
	mr := miniredis.RunT(t)
	cfg := apptest.Config(t)
	cfg.RedisURL = "redis://" + mr.Addr()
	var buf testkit.LogBuffer
	a, err := app.OpenServer(t.Context(), cfg, buf.Logger(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	if _, err := a.Accounts.Create(t.Context(), store.User{Login: "alice", Name: "alice"}, "alice-password"); err != nil {
		t.Fatal(err)
	}
	_, secret, err := a.OAuth.CreateClient(t.Context(), "svc", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	const wrongSecret = "WrongSecretThatMustNotBeLogged42"
	get := func(path string, headers ...string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, raw
	}
	issue := "/api/oauth2/server/tokens?grant_type=client_credentials&client_id=svc&client_secret="
	status, raw := get(issue + secret)
	if status != http.StatusOK {
		t.Fatalf("issue: %d %s", status, raw)
	}
	token := strings.Split(strings.Split(string(raw), `"access_token":"`)[1], `"`)[0]
	if status, _ := get(issue + wrongSecret); status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", status)
	}
	for _, p := range []string{
		"/api/users/me?access_token=" + token + "&sudo=loginName:alice",
		"/api/auth?access_token=" + token,
		"/api/oauth2/server/tokens/check?token=" + token,
		"/api/no-such-route?client_secret=" + secret + "&access_token=" + token,
		"/oauth2/token?client_secret=" + secret,
	} {
		get(p)
	}
	if status, _ := get("/api/auth", "X-Forwarded-Uri", "/app?access_token="+token); status != http.StatusOK {
		t.Fatalf("forward auth: %d", status)
	}
	get("/api/oauth2/server/tokens/revoke?token=" + token)
	// With Redis gone the request fails inside and its error is logged.
	mr.Close()
	if status, _ := get(issue + secret); status != http.StatusServiceUnavailable {
		t.Fatalf("issue with Redis down: %d", status)
	}

	srv.Close() // waits for the handlers, and so for their log lines
	logged := buf.String()
	if strings.Count(logged, "msg=request") < 9 || !strings.Contains(logged, "request failed") {
		t.Fatalf("the log was not captured:\n%s", logged)
	}
	for name, s := range map[string]string{"client secret": secret, "wrong secret": wrongSecret, "access token": token} {
		if strings.Contains(logged, s) || strings.Contains(logged, url.QueryEscape(s)) {
			t.Errorf("the %s is in the log:\n%s", name, logged)
		}
	}
	if strings.Contains(logged, "client_secret=") || strings.Contains(logged, "access_token=") {
		t.Errorf("a raw query is in the log:\n%s", logged)
	}
}

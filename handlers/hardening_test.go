package handlers_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store"
)

// The tests in this file replay, one class at a time, what a security
// review did to a live instance, and assert each fix.

// A form another port or subdomain of the same site posts carries the
// dms-token cookie (SameSite=Lax), and the JWT works on /api routes: a
// state change made with it alone must be refused like one made with the
// web page's cookie.
func TestCSRFThroughTheDMSCookie(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	jwt := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	form := "login=mallory&name=Mallory&password=mallory-password&is_super=1"
	for _, cookie := range []string{"dms-token=" + jwt, "xtra-session=" + e.Login("admin", apptest.AdminPassword)} {
		r := e.Do("POST", "/api/users", form, "Cookie", cookie)
		wantError(t, r, http.StatusForbidden, "Forbidden: send X-Requested-With: XMLHttpRequest with a cookie")
	}
	if _, err := e.App.Accounts.UserByLogin(t.Context(), "mallory"); err == nil {
		t.Fatal("a form post made a user")
	}
	r := e.Do("POST", "/api/users", form, fdCookieXHR(jwt)...)
	wantOK(t, r)
}

// Made-up HTTP methods become "other" in metrics and logs, so they cannot
// make new series or fill the log.
func TestUnknownMethodsAreOther(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	long := strings.Repeat("X", 1000)
	for i := range 30 {
		status, _, err := rawDo(e, fmt.Sprintf("XMETH%d%s", i, long), "/api/users", nil)
		if err != nil || status != http.StatusMethodNotAllowed {
			t.Fatalf("made-up method: %d %v", status, err)
		}
	}
	body := string(e.Do("GET", "/metrics", nil).Body)
	if strings.Contains(body, "XMETH") || strings.Contains(e.Log.String(), "XMETH") {
		t.Fatal("a made-up method is in /metrics or the log")
	}
	if want := `xtraauth_http_requests_total{method="other",route="/api/users",status="405"} 30`; !strings.Contains(body, want) {
		t.Fatalf("/metrics lacks %s", want)
	}
}

// Answers that cost nothing ("Captcha Required", "Wrong Captcha", a wrong
// secret for a made-up client id) add audit rows at a bounded rate.
func TestFreeAuditRowsAreBounded(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	failLogin(t, e, "alice", 2)
	for range 100 {
		wantCaptchaRequired(t, passwordLogin(e, "alice", badPassword, solved{}))
		wantWrongCaptcha(t, passwordLogin(e, "alice", badPassword, solved{answer: "nope"}))
	}
	if n := len(auditRows(t, e, "alice", "captcha")); n != 2 {
		t.Fatalf("%d captcha rows for 200 refusals in a minute, want one per outcome", n)
	}
	for i := range 100 {
		fdOAuthError(t, e.Do("POST", "/oauth2/token", "grant_type=client_credentials",
			fdBasic(fmt.Sprintf("made-up-%d", i), "wrong")...), http.StatusUnauthorized, "invalid_client")
	}
	events, total, err := e.App.SQL.ListAuditEvents(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	clientRows := 0
	for _, ev := range events {
		if ev.Kind == "client_secret" {
			clientRows++
		}
	}
	if clientRows != 20-2 || total > 30 {
		t.Fatalf("%d client rows, %d in all: want the address's 20 a minute, the two captcha rows among them", clientRows, total)
	}
	// a minute later the limits start again
	e.Advance(time.Minute)
	wantCaptchaRequired(t, passwordLogin(e, "alice", badPassword, solved{}))
	if n := len(auditRows(t, e, "alice", "captcha")); n != 3 {
		t.Fatalf("%d captcha rows, want 3", n)
	}
}

// Audit events are kept XTRA_AUDIT_RETENTION (90 days), then pruned.
func TestAuditRetention(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	failLogin(t, e, "old", 1)
	e.Advance(60 * 24 * time.Hour)
	failLogin(t, e, "new", 1)
	e.Advance(31 * 24 * time.Hour)
	n, err := e.App.PruneAudit(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the one older than 90 days", n, err)
	}
	if len(auditRows(t, e, "old", "")) != 0 || len(auditRows(t, e, "new", "")) != 1 {
		t.Fatal("the wrong rows were pruned")
	}
}

// Anyone may make a captcha for any login, but it does not replace the
// one a person is answering from their own address: the person's answer,
// sent without captcha_id, still solves their captcha.
func TestCaptchaHijack(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	e.AddUser("alice", alicePassword, false)
	const person, stranger = "198.51.100.7", "203.0.113.9"
	failLogin(t, e, "alice", 2, xff(person)...)
	mine := fetchCaptcha(t, e, "alice", xff(person)...)
	for range 5 {
		fetchCaptcha(t, e, "alice", xff(stranger)...)
	}
	wantOK(t, passwordLogin(e, "alice", alicePassword, solved{answer: mine.answer}, xff(person)...))
}

// A data directory other users may read is named in a warning at start.
func TestOpenDataDirWarned(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, func(c *config.Config) {
		if err := os.Chmod(c.DataDir, 0o755); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.Contains(e.Log.String(), "other users may read the data directory") {
		t.Fatalf("no warning in the log:\n%s", e.Log.String())
	}
}

// Behind a TLS-terminating proxy every cookie is Secure: when a trusted
// proxy says X-Forwarded-Proto: https, or always with an https
// XTRA_PUBLIC_URL. An untrusted peer's header changes nothing.
func TestSecureCookiesBehindAProxy(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*config.Config)
		headers []string
		secure  bool
	}{
		{"plain http", func(*config.Config) {}, nil, false},
		{"https from a trusted proxy", trustLocalProxy, []string{"X-Forwarded-Proto", "https"}, true},
		{"https from anyone", func(*config.Config) {}, []string{"X-Forwarded-Proto", "https"}, false},
		{"https public URL", func(c *config.Config) { c.PublicURL = "https://auth.example.com" }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t, tt.change)
			xhr := append([]string{"X-Requested-With", "XMLHttpRequest"}, tt.headers...)
			web := e.Do("POST", "/web/session", map[string]string{"login": "admin", "password": apptest.AdminPassword}, xhr...)
			dms := e.Do("POST", "/v1/dms/sessions", map[string]any{"session": map[string]string{
				"username": "admin", "password": apptest.AdminPassword}}, tt.headers...)
			set := append(web.Header.Values("Set-Cookie"), dms.Header.Values("Set-Cookie")...)
			if len(set) != 3 {
				t.Fatalf("cookies %q, want the web page's, dms-token and dms-refresh-token", set)
			}
			for _, c := range set {
				if strings.Contains(c, "; Secure") != tt.secure {
					t.Errorf("Set-Cookie %q: Secure should be %v", c, tt.secure)
				}
			}
		})
	}
}

// Every answer that carries a token, a JWT, a dev_key or a secret tells
// caches not to keep it.
func TestNoStoreOnSecrets(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	admin := adminToken(e)
	xhr := []string{"X-Requested-With", "XMLHttpRequest"}
	for name, r := range map[string]apptest.Response{
		"XSwitch login": e.Do("POST", "/api/sessions", map[string]string{"login": "admin", "password": apptest.AdminPassword}),
		"web login":     e.Do("POST", "/web/session", map[string]string{"login": "admin", "password": apptest.AdminPassword}, xhr...),
		"DMS login":     fdDMS(e, "admin", apptest.AdminPassword),
		"new dev_key":   e.Do("POST", "/api/dev_keys", map[string]string{"label": "ci"}, authHeader(admin)...),
		"new client":    e.Do("POST", "/api/oauth2/clients", map[string]any{"id": "svc"}, authHeader(admin)...),
		"user":          e.Do("GET", "/api/users/me", nil, authHeader(admin)...),
	} {
		if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d, Cache-Control %q", name, r.Status, r.Header.Get("Cache-Control"))
		}
	}
	if cc := e.Do("GET", "/", nil).Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("the page: Cache-Control %q, want no-cache (it holds no secret)", cc)
	}
}

// Identifiers that reach a Redis key or an audit row are bounded before
// anything is counted or written.
func TestIdentifiersBounded(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	long := strings.Repeat("x", 60_000)
	fdOAuthError(t, e.Do("POST", "/oauth2/token", "grant_type=client_credentials", fdBasic(long, "wrong")...),
		http.StatusUnauthorized, "invalid_client")
	if r := e.Do("GET", "/api/oauth2/server/tokens?grant_type=client_credentials&client_id="+long+"&client_secret=x", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("compat grant with a 60 KB id: %d", r.Status)
	}
	fdOAuthError(t, e.Do("POST", "/oauth2/token", "grant_type=client_credentials", fdBasic("ok-id", strings.Repeat("s", 1000))...),
		http.StatusUnauthorized, "invalid_client")
	wantError(t, e.Do("GET", "/api/captchas?login="+long[:200], nil), http.StatusBadRequest, "login is too long")
	wantError(t, e.Do("DELETE", "/api/locks/"+long[:300], nil, authHeader(adminToken(e))...), http.StatusBadRequest, "login is too long")
	wantNothingLocked(t, e)
	if _, total, err := e.App.SQL.ListAuditEvents(t.Context(), store.AuditFilter{}); err != nil || total != 0 {
		t.Fatalf("%d audit rows, %v; want none", total, err)
	}
	for _, k := range e.Redis.Keys() {
		if len(k) > 400 {
			t.Fatalf("a %d-byte Redis key", len(k))
		}
	}
}

// FuzzAbuse sends what the review sent, and anything like it: made-up
// methods, long or odd paths, cookies and proxy headers of every shape,
// bodies of any content. No request may fail the server (5xx) or give a
// method a metric series of its own.
func FuzzAbuse(f *testing.F) {
	e := apptest.New(f)
	f.Add("XMETH123", "/api/users", "dms-token=a.b.c", "X-Forwarded-Uri", "/?access_token=x&sudo=uid:1", "is_super=1")
	f.Add("POST", "/oauth2/token", "xtra-session=x", "Authorization", "Basic "+strings.Repeat("A", 300), "grant_type=client_credentials")
	f.Add("GET", "/api/captchas?login=%00%ff", "", "X-Original-URI", "::", "")
	f.Add("DELETE", "/api/locks/client:%7B%7D", "dms-token=", "X-XTRA-AUTH-ID", "1700000000"+strings.Repeat("0", 36), "")
	f.Add("PUT", "/api/users/1", "xtra-session=;dms-token=x.y.z", "Content-Type", "application/json", `{"is_super":"1","revoke_dev_keys":true}`)
	f.Fuzz(func(t *testing.T, method, path, cookie, header, value, body string) {
		req, err := http.NewRequest(method, e.Server.URL+path, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		req.Header.Set("Cookie", cookie)
		req.Header.Set(header, value)
		res, err := e.Server.Client().Do(req)
		if err != nil {
			return // a request Go's client will not send
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s (cookie %q, %s: %q): %d", method, path, cookie, header, value, res.StatusCode)
		}
	})
	metrics := string(e.Do("GET", "/metrics", nil).Body)
	for _, line := range strings.Split(metrics, "\n") {
		if _, rest, ok := strings.Cut(line, `method="`); ok {
			m, _, _ := strings.Cut(rest, `"`)
			if !strings.Contains("GET HEAD POST PUT PATCH DELETE CONNECT OPTIONS TRACE other", m) {
				f.Fatalf("a metric series for the method %q", m)
			}
		}
	}
}

// Forward auth reads the original URL from X-Original-URI (nginx) before a
// client-sent X-Forwarded-Uri, and with XTRA_TRUSTED_PROXIES set believes
// either only from a trusted proxy.
func TestForwardAuthOriginalURL(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	token := adminToken(e)
	auth := func(e *apptest.Env, headers ...string) int { return e.Do("GET", "/api/auth", nil, headers...).Status }
	if s := auth(e, "X-Original-URI", "/app", "X-Forwarded-Uri", "/app?access_token="+token); s != http.StatusUnauthorized {
		t.Errorf("X-Forwarded-Uri past an X-Original-URI: %d, want 401", s)
	}
	if s := auth(e, "X-Original-URI", "/app?access_token="+token); s != http.StatusOK {
		t.Errorf("X-Original-URI: %d, want 200", s)
	}
	elsewhere := e.Join(func(c *config.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	if s := auth(elsewhere, "X-Original-URI", "/app?access_token="+token); s != http.StatusUnauthorized {
		t.Errorf("X-Original-URI from an untrusted peer: %d, want 401", s)
	}
}

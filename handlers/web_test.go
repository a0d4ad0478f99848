package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
)

const xhr = "X-Requested-With"

// webLogin logs in through the page's endpoint and returns its cookie.
func webLogin(t *testing.T, e *apptest.Env, login, password string) *http.Cookie {
	t.Helper()
	r := e.Do("POST", "/web/session", map[string]string{"login": login, "password": password}, xhr, "XMLHttpRequest")
	if r.Status != http.StatusOK {
		t.Fatalf("web login: %d %s", r.Status, r.Body)
	}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "xtra-session" {
			return c
		}
	}
	t.Fatalf("no xtra-session cookie in %v", r.Header)
	return nil
}

func TestWebPageFiles(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	for _, tc := range []struct{ path, contentType string }{
		{"/", "text/html"}, {"/web/app.js", "javascript"}, {"/web/ui.js", "javascript"}, {"/web/i18n.js", "javascript"},
		{"/web/users.js", "javascript"}, {"/web/style.css", "text/css"}, {"/web/lang-zh.json", "application/json"},
	} {
		r := e.Do("GET", tc.path, nil)
		if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), tc.contentType) {
			t.Fatalf("GET %s: %d %s", tc.path, r.Status, r.Header.Get("Content-Type"))
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Fatalf("GET %s: policy %q lacks %s", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET %s: headers %v", tc.path, r.Header)
		}
	}
	if r := e.Do("GET", "/", nil); !strings.Contains(string(r.Body), `<form id="login"`) {
		t.Fatal("the page has no login form")
	}
	wantError(t, e.Do("GET", "/web/nope.js", nil), 404, "Not Found")
	wantError(t, e.Do("GET", "/web/index.html", nil), 404, "Not Found") // the page is served at / only
}

func TestWebLoginCookie(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	body := map[string]string{"login": "admin", "password": apptest.AdminPassword}
	wantError(t, e.Do("POST", "/web/session", body), 403,
		"Forbidden: send X-Requested-With: XMLHttpRequest with a cookie")

	r := e.Do("POST", "/web/session", body, xhr, "XMLHttpRequest")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if got := r.JSON(t); got["token"] != nil || got["login"] != "admin" || got["super_admin"] != float64(1) {
		t.Fatalf("reply %s: want the login reply without the token", r.Body)
	}
	set := r.Header.Get("Set-Cookie")
	for _, want := range []string{"xtra-session=", "Path=/", "HttpOnly", "SameSite=Strict", "Expires=", "Max-Age=86400"} {
		if !strings.Contains(set, want) {
			t.Fatalf("Set-Cookie %q lacks %s", set, want)
		}
	}
	wantWrong := e.Do("POST", "/web/session", map[string]string{"login": "admin", "password": "bad"}, xhr, "XMLHttpRequest")
	wantError(t, wantWrong, 403, "Wrong username or password")
}

// State-changing requests made with the page's cookie alone need
// X-Requested-With; reads do not, nor do requests with a token header.
func TestWebCookieCSRF(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	c := webLogin(t, e, "admin", apptest.AdminPassword)
	cookie := c.Name + "=" + c.Value
	const csrf = "Forbidden: send X-Requested-With: XMLHttpRequest with a cookie"

	if r := e.Do("GET", "/api/users/me", nil, "Cookie", cookie); r.Status != 200 {
		t.Fatalf("read with the cookie: %d", r.Status)
	}
	wantError(t, e.Do("POST", "/api/dev_keys", map[string]string{"label": "x"}, "Cookie", cookie), 403, csrf)
	wantError(t, e.Do("DELETE", "/api/sessions", nil, "Cookie", cookie), 403, csrf)
	wantError(t, e.Do("DELETE", "/web/session", nil, "Cookie", cookie), 403, csrf)
	if r := e.Do("POST", "/api/dev_keys", map[string]string{"label": "x"}, "Cookie", cookie, xhr, "XMLHttpRequest"); r.Status != 200 {
		t.Fatalf("with the header: %d %s", r.Status, r.Body)
	}
	token := adminToken(e)
	if r := e.Do("POST", "/api/dev_keys", map[string]string{"label": "y"}, "Cookie", cookie, "X-XTRA-AUTH-ID", token); r.Status != 200 {
		t.Fatalf("a token header beside the cookie: %d %s", r.Status, r.Body)
	}

	r := e.Do("DELETE", "/web/session", nil, "Cookie", cookie, xhr, "XMLHttpRequest")
	wantBody(t, r, 200, map[string]any{"code": 200, "text": "OK"})
	if set := r.Header.Get("Set-Cookie"); !strings.Contains(set, "xtra-session=;") || !strings.Contains(set, "Max-Age=0") {
		t.Fatalf("logout Set-Cookie %q does not clear the cookie", set)
	}
	wantError(t, e.Do("GET", "/api/users/me", nil, "Cookie", cookie), 401, "Not Authorized")
	wantError(t, e.Do("DELETE", "/web/session", nil, xhr, "XMLHttpRequest"), 401, "Not Authorized")
}

// The page's lock answer says whether it may offer an unlock request, for
// any login alike (also one that does not exist); the API's answer stays
// as the contract has it.
func TestWebLockOffersUnlockRequest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		approvals []string
		offered   bool
	}{{[]string{"unlock"}, true}, {[]string{"dev_key"}, false}} {
		e := apptest.New(t, func(c *config.Config) { c.Integrations.Approvals = tt.approvals })
		e.AddUser("alice", alicePassword, false)
		for _, login := range []string{"alice", "nobody"} {
			lock(t, e, login)
			r := e.Do("POST", "/web/session", map[string]string{"login": login, "password": alicePassword}, xhr, "XMLHttpRequest")
			wantBody(t, r, 429, map[string]any{"code": 429, "text": "Too Many Failed Attempts", "message": "Too Many Failed Attempts",
				"retry_after": 7200, "unlock_requests": tt.offered})
		}
		r := e.Do("POST", "/api/sessions", map[string]string{"login": "alice", "password": alicePassword})
		wantBody(t, r, 429, map[string]any{"code": 429, "text": "Too Many Failed Attempts", "message": "Too Many Failed Attempts", "retry_after": 7200})
	}
}

// GET /web/session tells the page who it is, when its session ends and
// the server's clock.
func TestWebSession(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	alice := e.AddUser("alice", "pw-alice", false)
	c := webLogin(t, e, "alice", "pw-alice")
	cookie := []string{"Cookie", c.Name + "=" + c.Value}
	loggedIn := e.Clock.Now()
	token := e.Login("alice", "pw-alice")
	_, key := newDevKey(t, e, token, "ci")
	e.Advance(time.Hour)
	now := e.Clock.Now().Unix()
	reply := func(expires any) map[string]any {
		return map[string]any{"code": 200, "user": getUser(t, e, alice.ID), "expires": expires, "now": now}
	}
	tests := []struct {
		name    string
		headers []string
		want    map[string]any
	}{
		{"the page's cookie", cookie, reply(loggedIn.Add(24 * time.Hour).Unix())},
		{"a token", authHeader(token), reply(loggedIn.Add(24 * time.Hour).Unix())},
		{"a dev_key is no session", authHeader(key), reply(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantBody(t, e.Do("GET", "/web/session", nil, tt.headers...), 200, tt.want)
		})
	}
	t.Run("refused", func(t *testing.T) {
		wantError(t, e.Do("GET", "/web/session", nil), 401, "Not Authorized")
		wantError(t, e.Do("GET", "/web/session", nil, "Cookie", "xtra-session=nope"), 401, "Not Authorized")
		wantOK(t, e.Do("DELETE", "/web/session", nil, append(cookie, xhr, "XMLHttpRequest")...))
		wantError(t, e.Do("GET", "/web/session", nil, cookie...), 401, "Not Authorized")
		e.Advance(23 * time.Hour)
		wantError(t, e.Do("GET", "/web/session", nil, authHeader(token)...), 401, "Not Authorized")
		wantError(t, e.Do("PUT", "/web/session", nil, authHeader(key)...), 405, "Method Not Allowed")
	})
}

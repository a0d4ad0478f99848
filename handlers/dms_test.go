package handlers_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
)

// Helpers of the front-door tests (DMS, OAuth, forward auth), prefixed fd
// so as not to clash with the other handlers_test files.

func fdCookie(token string) []string { return []string{"Cookie", "dms-token=" + token} }

// fdCookieXHR is the cookie with the header a state change made with it needs.
func fdCookieXHR(token string) []string {
	return append(fdCookie(token), "X-Requested-With", "XMLHttpRequest")
}
func fdBearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// fdDMS posts the seed's DMS login body.
func fdDMS(e *apptest.Env, login, password string) apptest.Response {
	return e.Do("POST", "/v1/dms/sessions", map[string]any{"session": map[string]string{"username": login, "password": password}})
}

// fdDMSLogin logs in through the DMS door and returns the JWT.
func fdDMSLogin(t testing.TB, e *apptest.Env, login, password string) string {
	t.Helper()
	r := fdDMS(e, login, password)
	if r.Status != http.StatusOK {
		t.Fatalf("DMS login %s: %d %s", login, r.Status, r.Body)
	}
	data, _ := r.JSON(t)["data"].(map[string]any)
	token, _ := data["token"].(string)
	if token == "" {
		t.Fatalf("DMS login %s: no token in %s", login, r.Body)
	}
	return token
}

// fdCookies parses the Set-Cookie headers of a response.
func fdCookies(r apptest.Response) []*http.Cookie {
	return (&http.Response{Header: r.Header}).Cookies()
}

// fdMe asks /api/users/me and returns the status and the login.
func fdMe(t testing.TB, e *apptest.Env, headers ...string) (int, string) {
	t.Helper()
	r := e.Do("GET", "/api/users/me", nil, headers...)
	if r.Status != http.StatusOK {
		return r.Status, ""
	}
	login, _ := r.JSON(t)["login"].(string)
	return r.Status, login
}

// fdDMSUser asks GET /v1/dms/sessions/user.
func fdDMSUser(e *apptest.Env, headers ...string) apptest.Response {
	return e.Do("GET", "/v1/dms/sessions/user", nil, headers...)
}

var (
	fdNoDMSToken  = map[string]any{"message": "can not find dms-token"}
	fdBadDMSToken = map[string]any{"message": "invalid or expired jwt"}
)

func fdDMSUserBody(id int64, name string) map[string]any {
	return map[string]any{"code": 0, "message": "ok", "data": map[string]any{"user_uid": strconv.FormatInt(id, 10), "name": name}}
}

func TestDMSLoginSeedReply(t *testing.T) {
	e := apptest.New(t)
	u := e.AddUser("alice", "alice-password", false)
	r := fdDMS(e, "alice", "alice-password")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	body := r.JSON(t)
	token, _ := body["data"].(map[string]any)["token"].(string)
	wantBody(t, r, http.StatusOK, map[string]any{"data": map[string]any{"token": token}, "code": 0, "message": ""})
	if strings.Count(token, ".") != 2 {
		t.Fatalf("token %q is not a JWT", token)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}

	// The cookie carries the same token, as the seed's table shows.
	var ck *http.Cookie
	for _, c := range fdCookies(r) {
		if c.Name == "dms-token" {
			ck = c
		}
	}
	if ck == nil {
		t.Fatalf("no dms-token cookie in %q", r.Header.Values("Set-Cookie"))
	}
	wantExpires := e.Clock.Now().Add(24 * time.Hour).Truncate(time.Second)
	if ck.Value != token || ck.Path != "/" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || !ck.Expires.Equal(wantExpires) {
		t.Errorf("cookie %+v; want the token, Path=/, HttpOnly, SameSite=Lax, Expires=%s", ck, wantExpires)
	}
	raw := r.Header.Get("Set-Cookie")
	for _, attr := range []string{"dms-token=" + token, "Path=/", "Expires=", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(raw, attr) {
			t.Errorf("Set-Cookie %q lacks %q", raw, attr)
		}
	}

	// The token works as the cookie and as a Bearer on the DMS routes.
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusOK, fdDMSUserBody(u.ID, "alice"))
	wantBody(t, fdDMSUser(e, fdBearer(token)...), http.StatusOK, fdDMSUserBody(u.ID, "alice"))
	// And on the XSwitch routes, as the cookie, a Bearer or X-XTRA-AUTH-ID.
	for _, h := range [][]string{fdCookie(token), fdBearer(token), {"X-XTRA-AUTH-ID", token}} {
		if status, login := fdMe(t, e, h...); status != http.StatusOK || login != "alice" {
			t.Errorf("/api/users/me with %s: %d %q", h[0], status, login)
		}
	}
}

func TestDMSLoginLoginsCaseInsensitiveAndNumeric(t *testing.T) {
	e := apptest.New(t)
	u := e.AddUser("1007", "seven-password", false)
	r := e.Do("POST", "/v1/dms/sessions", map[string]any{"session": map[string]any{"username": 1007, "password": "seven-password"}})
	if r.Status != http.StatusOK {
		t.Fatalf("numeric username: %d %s", r.Status, r.Body)
	}
	token, _ := r.JSON(t)["data"].(map[string]any)["token"].(string)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusOK, fdDMSUserBody(u.ID, "1007"))
	token = fdDMSLogin(t, e, "ADMIN", apptest.AdminPassword)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusOK, fdDMSUserBody(1, "admin"))
}

func TestDMSLoginErrors(t *testing.T) {
	e := apptest.New(t)
	e.AddUser("alice", "alice-password", false)
	wrong := map[string]any{"code": 401, "message": "Wrong username or password"}
	wantBody(t, fdDMS(e, "alice", "nope"), http.StatusUnauthorized, wrong)
	wantBody(t, fdDMS(e, "nobody", "nope"), http.StatusUnauthorized, wrong)

	for name, body := range map[string]any{
		"no session":  map[string]any{},
		"no password": map[string]any{"session": map[string]any{"username": "alice"}},
		"no username": map[string]any{"session": map[string]any{"password": "alice-password"}},
		"empty":       map[string]any{"session": map[string]any{"username": "", "password": ""}},
		"flat body":   map[string]any{"username": "alice", "password": "alice-password"},
		"not object":  map[string]any{"session": "alice"},
	} {
		r := e.Do("POST", "/v1/dms/sessions", body)
		got, _ := decode(t, r).(map[string]any)
		if r.Status != http.StatusBadRequest || got["code"] != float64(400) || got["message"] == "" || got["text"] != nil {
			t.Errorf("%s: %d %s; want 400 in DMS's shape", name, r.Status, r.Body)
		}
		if len(fdCookies(r)) != 0 {
			t.Errorf("%s: a cookie was set", name)
		}
	}
	r := e.Do("POST", "/v1/dms/sessions", `session=x`)
	if got, _ := decode(t, r).(map[string]any); r.Status != http.StatusBadRequest || got["code"] != float64(400) {
		t.Errorf("form body: %d %s", r.Status, r.Body)
	}
	r = e.Do("POST", "/v1/dms/sessions", `{}`, "Content-Type", "text/plain")
	if got, _ := decode(t, r).(map[string]any); r.Status != http.StatusUnsupportedMediaType || got["code"] != float64(415) {
		t.Errorf("text/plain: %d %s", r.Status, r.Body)
	}

	// A disabled user's right password is a wrong password.
	disabled := e.AddUser("bob", "bob-password", false)
	admin := e.Login("admin", apptest.AdminPassword)
	if r := e.Do("PUT", "/api/users/"+strconv.FormatInt(disabled.ID, 10), map[string]any{"disabled": 1}, "X-XTRA-AUTH-ID", admin); r.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	wantBody(t, fdDMS(e, "bob", "bob-password"), http.StatusUnauthorized, wrong)
}

func TestDMSTokenErrors(t *testing.T) {
	e := apptest.New(t)
	token := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	head, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."

	wantBody(t, fdDMSUser(e), http.StatusUnauthorized, fdNoDMSToken)
	wantBody(t, fdDMSUser(e, "Cookie", "dms-token="), http.StatusUnauthorized, fdNoDMSToken)
	wantBody(t, fdDMSUser(e, "Cookie", "other=x"), http.StatusUnauthorized, fdNoDMSToken)
	wantBody(t, e.Do("DELETE", "/v1/dms/sessions", nil), http.StatusUnauthorized, fdNoDMSToken)
	for name, bad := range map[string]string{
		"garbage":        "garbage",
		"three parts":    "a.b.c",
		"alg none":       none,
		"signature cut":  head + "." + payload + ".",
		"uuid":           "5f0c7d9e-1b2a-4c3d-8e4f-a0b1c2d3e4f5",
		"token, altered": token[:len(token)-2] + "xx",
	} {
		wantBody(t, fdDMSUser(e, fdCookie(bad)...), http.StatusUnauthorized, fdBadDMSToken)
		wantBody(t, fdDMSUser(e, fdBearer(bad)...), http.StatusUnauthorized, fdBadDMSToken)
		if status, _ := fdMe(t, e, fdCookie(bad)...); status != http.StatusUnauthorized {
			t.Errorf("%s on /api/users/me: %d", name, status)
		}
	}
	// A good token still works: the refusals above were for the tokens.
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusOK, fdDMSUserBody(1, "admin"))

	// The JWT and its session live XTRA_SESSION_TTL (24h), then both end.
	e.Advance(24*time.Hour - time.Second)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusOK, fdDMSUserBody(1, "admin"))
	e.Advance(time.Second)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
	if status, _ := fdMe(t, e, fdBearer(token)...); status != http.StatusUnauthorized {
		t.Errorf("expired JWT on /api/users/me: %d", status)
	}
}

// The JWT lives XTRA_SESSION_TTL, whatever it is set to.
func TestDMSTokenFollowsSessionTTL(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.SessionTTL = time.Hour })
	token := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Iat, Exp int64 }
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iat != e.Clock.Now().Unix() || c.Exp-c.Iat != 3600 {
		t.Fatalf("iat %d exp %d; want iat now (%d) and exp an hour later", c.Iat, c.Exp, e.Clock.Now().Unix())
	}
	e.Advance(time.Hour)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
}

func TestDMSLogout(t *testing.T) {
	e := apptest.New(t)
	a := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	b := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	if a == b {
		t.Fatal("two logins, one token")
	}
	r := e.Do("DELETE", "/v1/dms/sessions", nil, fdCookie(a)...)
	wantBody(t, r, http.StatusOK, map[string]any{"code": 0, "message": "ok"})
	cleared := false
	for _, c := range fdCookies(r) {
		if c.Name == "dms-token" && c.Value == "" && c.MaxAge < 0 && c.Path == "/" {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("logout does not clear the cookie: %q", r.Header.Values("Set-Cookie"))
	}
	wantBody(t, fdDMSUser(e, fdCookie(a)...), http.StatusUnauthorized, fdBadDMSToken)
	wantBody(t, e.Do("DELETE", "/v1/dms/sessions", nil, fdCookie(a)...), http.StatusUnauthorized, fdBadDMSToken)
	// Only that session ended.
	wantBody(t, fdDMSUser(e, fdCookie(b)...), http.StatusOK, fdDMSUserBody(1, "admin"))
	// A Bearer works for logout too.
	wantBody(t, e.Do("DELETE", "/v1/dms/sessions", nil, fdBearer(b)...), http.StatusOK, map[string]any{"code": 0, "message": "ok"})
	wantBody(t, fdDMSUser(e, fdBearer(b)...), http.StatusUnauthorized, fdBadDMSToken)
	// XSwitch's logout ends a DMS session too: it is one session store.
	c := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	wantBody(t, e.Do("DELETE", "/api/sessions", nil, fdCookie(c)...), http.StatusForbidden,
		fdXSwitchError(http.StatusForbidden, "Forbidden: send X-Requested-With: XMLHttpRequest with a cookie"))
	if r := e.Do("DELETE", "/api/sessions", nil, fdCookieXHR(c)...); r.Status != http.StatusOK {
		t.Fatalf("DELETE /api/sessions with the dms-token cookie: %d %s", r.Status, r.Body)
	}
	wantBody(t, fdDMSUser(e, fdCookie(c)...), http.StatusUnauthorized, fdBadDMSToken)
}

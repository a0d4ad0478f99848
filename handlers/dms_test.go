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
	wantExpires := e.Clock.Now().Add(2 * time.Hour).Truncate(time.Second)
	if ck.Value != token || ck.Path != "/" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || !ck.Expires.Equal(wantExpires) {
		t.Errorf("cookie %+v; want the token, Path=/, HttpOnly, SameSite=Lax, Expires=%s", ck, wantExpires)
	}
	raw := ""
	for _, v := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "dms-token=") {
			raw = v
		}
	}
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

	// The JWT and its session live XTRA_DMS_TOKEN_TTL (2h, as DMS), then both end.
	e.Advance(2*time.Hour - time.Second)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusOK, fdDMSUserBody(1, "admin"))
	e.Advance(time.Second)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
	if status, _ := fdMe(t, e, fdBearer(token)...); status != http.StatusUnauthorized {
		t.Errorf("expired JWT on /api/users/me: %d", status)
	}
}

// The JWT lives XTRA_DMS_TOKEN_TTL, whatever it is set to.
func TestDMSTokenFollowsItsTTL(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.DMSTokenTTL = time.Hour })
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

// fdRefreshCookie finds the dms-refresh-token a DMS login set.
func fdRefreshCookie(t testing.TB, r apptest.Response) *http.Cookie {
	t.Helper()
	for _, c := range fdCookies(r) {
		if c.Name == "dms-refresh-token" {
			return c
		}
	}
	t.Fatalf("no dms-refresh-token in %q", r.Header.Values("Set-Cookie"))
	return nil
}

func fdRefresh(e *apptest.Env, refresh string) apptest.Response {
	return e.Do("POST", "/v1/dms/sessions/refresh", nil, "Cookie", "dms-refresh-token="+refresh)
}

// As DMS: a login also sets dms-refresh-token (HttpOnly, SameSite=Strict,
// 24h), which DMS's web client trades for a new dms-token on a 401.
func TestDMSRefresh(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	u := e.AddUser("alice", "alice-password", false)
	r := fdDMS(e, "alice", "alice-password")
	ck := fdRefreshCookie(t, r)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.MaxAge != 24*3600 {
		t.Fatalf("refresh cookie %+v; want HttpOnly, SameSite=Strict, Path=/, 24h", ck)
	}
	refresh := ck.Value
	// it opens nothing by itself
	for _, h := range [][]string{fdCookie(refresh), fdBearer(refresh), {"X-XTRA-AUTH-ID", refresh}, {"Cookie", "xtra-session=" + refresh}} {
		if status, _ := fdMe(t, e, h...); status != http.StatusUnauthorized {
			t.Errorf("the refresh token in %s: %d, want 401", h[0], status)
		}
	}
	wantBody(t, fdDMSUser(e, fdCookie(refresh)...), http.StatusUnauthorized, fdBadDMSToken)

	// the dms-token expires after 2h; the refresh token buys another
	e.Advance(2 * time.Hour)
	r = fdRefresh(e, refresh)
	if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("refresh: %d %q %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
	}
	token := r.JSON(t)["data"].(map[string]any)["token"].(string)
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusOK, fdDMSUserBody(u.ID, "alice"))

	// and again, until it expires 24h after the login
	e.Advance(21*time.Hour + 59*time.Minute)
	if r := fdRefresh(e, refresh); r.Status != http.StatusOK {
		t.Fatalf("refresh before 24h: %d %s", r.Status, r.Body)
	}
	e.Advance(time.Minute)
	wantError := map[string]any{"message": "refresh token not found or expired"} // as DMS answers token errors
	wantBody(t, fdRefresh(e, refresh), http.StatusUnauthorized, wantError)
	wantBody(t, e.Do("POST", "/v1/dms/sessions/refresh", nil), http.StatusUnauthorized, wantError)
	wantBody(t, fdRefresh(e, "junk"), http.StatusUnauthorized, wantError)
}

// A refresh token ends with the user's other sessions, and with a logout.
func TestDMSRefreshEnds(t *testing.T) {
	for name, end := range map[string]func(t *testing.T, e *apptest.Env, id int64, token string){
		"password change": func(t *testing.T, e *apptest.Env, id int64, _ string) {
			xs := e.Login("alice", "alice-password")
			wantOK(t, e.Do("PUT", idPath("/api/users/", id), map[string]any{"password": "new-password", "old_password": "alice-password"}, authHeader(xs)...))
		},
		"disabling": func(t *testing.T, e *apptest.Env, id int64, _ string) {
			wantOK(t, e.Do("PUT", idPath("/api/users/", id), map[string]any{"disabled": 1}, authHeader(adminToken(e))...))
		},
		"made admin": func(t *testing.T, e *apptest.Env, id int64, _ string) {
			wantOK(t, e.Do("PUT", idPath("/api/users/", id), map[string]any{"is_super": 1}, authHeader(adminToken(e))...))
		},
		"logout": func(t *testing.T, e *apptest.Env, _ int64, _ string) {},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			u := e.AddUser("alice", "alice-password", false)
			r := fdDMS(e, "alice", "alice-password")
			token, refresh := r.JSON(t)["data"].(map[string]any)["token"].(string), fdRefreshCookie(t, r).Value
			if name == "logout" {
				r := e.Do("DELETE", "/v1/dms/sessions", nil, "Cookie", "dms-token="+token+"; dms-refresh-token="+refresh)
				wantBody(t, r, http.StatusOK, map[string]any{"code": 0, "message": "ok"})
				if got := strings.Join(r.Header.Values("Set-Cookie"), "\n"); !strings.Contains(got, "dms-refresh-token=;") {
					t.Errorf("logout does not clear the refresh cookie:\n%s", got)
				}
			}
			end(t, e, u.ID, token)
			if r := fdRefresh(e, refresh); r.Status != http.StatusUnauthorized {
				t.Fatalf("refresh after %s: %d %s", name, r.Status, r.Body)
			}
		})
	}
}

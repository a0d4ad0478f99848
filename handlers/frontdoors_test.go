package handlers_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store"
)

// The doors (XSwitch /api/sessions, DMS /v1/dms/sessions) share one session
// store and one JWT secret (and one set of failure counters: see
// TestDoorsGoThroughTheGate).

func TestDMSSessionEnds(t *testing.T) {
	t.Run("DMS logout", func(t *testing.T) {
		e := apptest.New(t)
		e.AddUser("alice", "alice-password", false)
		token := fdDMSLogin(t, e, "alice", "alice-password")
		if status, login := fdMe(t, e, fdCookie(token)...); status != http.StatusOK || login != "alice" {
			t.Fatalf("before logout: %d %q", status, login)
		}
		r := e.Do("DELETE", "/v1/dms/sessions", nil, fdCookie(token)...)
		wantBody(t, r, http.StatusOK, map[string]any{"code": 0, "message": "ok"})
		if status, _ := fdMe(t, e, fdCookie(token)...); status != http.StatusUnauthorized {
			t.Errorf("/api/users/me after logout: %d", status)
		}
		wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
		wantBody(t, fdDMSUser(e), http.StatusUnauthorized, fdNoDMSToken)
		if r := e.Do("GET", "/api/auth", nil, fdCookie(token)...); r.Status != http.StatusUnauthorized {
			t.Errorf("/api/auth after logout: %d", r.Status)
		}
	})

	t.Run("own password change keeps the current session only", func(t *testing.T) {
		e := apptest.New(t)
		u := e.AddUser("alice", "alice-password", false)
		dms1 := fdDMSLogin(t, e, "alice", "alice-password")
		dms2 := fdDMSLogin(t, e, "alice", "alice-password")
		xs := e.Login("alice", "alice-password")
		r := e.Do("PUT", "/api/users/"+strconv.FormatInt(u.ID, 10),
			map[string]any{"password": "new-password", "old_password": "alice-password"}, fdCookieXHR(dms2)...)
		if r.Status != http.StatusOK {
			t.Fatalf("password change with the dms-token cookie: %d %s", r.Status, r.Body)
		}
		wantBody(t, fdDMSUser(e, fdCookie(dms1)...), http.StatusUnauthorized, fdBadDMSToken)
		if status, _ := fdMe(t, e, "X-XTRA-AUTH-ID", xs); status != http.StatusUnauthorized {
			t.Errorf("XSwitch session after the change: %d", status)
		}
		wantBody(t, fdDMSUser(e, fdCookie(dms2)...), http.StatusOK, fdDMSUserBody(u.ID, "alice"))

		// And the other way round: a change through an XSwitch session ends DMS sessions.
		dms3 := fdDMSLogin(t, e, "alice", "new-password")
		xs2 := e.Login("alice", "new-password")
		r = e.Do("PUT", "/api/users/"+strconv.FormatInt(u.ID, 10),
			map[string]any{"password": "newer-password", "old_password": "new-password"}, "X-XTRA-AUTH-ID", xs2)
		if r.Status != http.StatusOK {
			t.Fatalf("password change: %d %s", r.Status, r.Body)
		}
		for _, tok := range []string{dms2, dms3} {
			wantBody(t, fdDMSUser(e, fdCookie(tok)...), http.StatusUnauthorized, fdBadDMSToken)
		}
		if status, login := fdMe(t, e, "X-XTRA-AUTH-ID", xs2); status != http.StatusOK || login != "alice" {
			t.Errorf("the session that made the change: %d %q", status, login)
		}
	})

	t.Run("admin disable ends DMS sessions", func(t *testing.T) {
		e := apptest.New(t)
		u := e.AddUser("alice", "alice-password", false)
		token := fdDMSLogin(t, e, "alice", "alice-password")
		admin := e.Login("admin", apptest.AdminPassword)
		path := "/api/users/" + strconv.FormatInt(u.ID, 10)
		if r := e.Do("PUT", path, map[string]any{"disabled": 1}, "X-XTRA-AUTH-ID", admin); r.Status != http.StatusOK {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
		// Enabled again, the old JWT stays dead: its session was ended, not
		// just refused while the user was disabled.
		if r := e.Do("PUT", path, map[string]any{"disabled": 0}, "X-XTRA-AUTH-ID", admin); r.Status != http.StatusOK {
			t.Fatalf("enable: %d %s", r.Status, r.Body)
		}
		wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
		fdDMSLogin(t, e, "alice", "alice-password")
	})

	t.Run("admin reset ends DMS sessions", func(t *testing.T) {
		e := apptest.New(t)
		u := e.AddUser("alice", "alice-password", false)
		token := fdDMSLogin(t, e, "alice", "alice-password")
		admin := e.Login("admin", apptest.AdminPassword)
		r := e.Do("PUT", "/api/users/"+strconv.FormatInt(u.ID, 10), map[string]any{"password": "reset-password"}, "X-XTRA-AUTH-ID", admin)
		if r.Status != http.StatusOK {
			t.Fatalf("reset: %d %s", r.Status, r.Body)
		}
		wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
	})

	t.Run("sessions gone from the store (embedded restart)", func(t *testing.T) {
		e := apptest.New(t)
		token := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
		e.Redis.FlushAll()
		wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)
	})
}

// fdSign signs claims with secret, as anyone holding XTRA_JWT_SECRET can.
func fdSign(t testing.TB, secret string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTSecretFromConfig(t *testing.T) {
	const secret = "shared-with-sqle-0123456789abcdef"
	e := apptest.New(t, func(c *config.Config) { c.JWTSecret = secret })
	u := e.AddUser("alice", "alice-password", false)
	token := fdDMSLogin(t, e, "alice", "alice-password")

	// A real DMS sharing the secret verifies the token on its own.
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(e.Clock.Now), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("verify with XTRA_JWT_SECRET: %v", err)
	}
	now := e.Clock.Now().Unix()
	if claims["uid"] != strconv.FormatInt(u.ID, 10) || claims["name"] != "alice" ||
		claims["iat"] != float64(now) || claims["exp"] != float64(now+2*3600) {
		t.Errorf("claims %v; want uid %q (a string), name alice, iat %d, exp %d", claims, strconv.FormatInt(u.ID, 10), now, now+2*3600)
	}
	if claims["iss"] != "actiontech dms" || claims["typ"] != "dms-token" {
		t.Errorf("claims %v; want DMS's iss and typ", claims)
	}
	// The jti names the session without being a credential: anyone who
	// sees a JWT can read it.
	jti, _ := claims["jti"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(jti) {
		t.Errorf("jti %q is not a session digest", jti)
	}
	for _, header := range [][]string{{"X-XTRA-AUTH-ID", jti}, fdBearer(jti), {"Cookie", "xtra-session=" + jti}} {
		if status, _ := fdMe(t, e, header...); status != http.StatusUnauthorized {
			t.Errorf("the jti in %s: %d, want 401", header[0], status)
		}
	}
	if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return []byte("another secret"), nil }); err == nil {
		t.Fatal("the token verifies with any secret")
	}

	// A JWT signed with the right secret but naming no session is refused
	// everywhere: a signature alone never makes a session.
	devKey := func() string {
		r := e.Do("POST", "/api/dev_keys", map[string]any{"label": "ci"}, fdCookieXHR(token)...)
		if r.Status != http.StatusOK {
			t.Fatalf("dev_key: %d %s", r.Status, r.Body)
		}
		return r.JSON(t)["data"].(map[string]any)["dev_key"].(string)
	}()
	exp := e.Clock.Now().Add(time.Hour).Unix()
	for name, jti := range map[string]string{
		"random jti":                    store.Digest(uuid.NewString()),
		"a live session's token as jti": e.Login("alice", "alice-password"),
		"a dev_key as jti":              devKey,
		"an empty jti":                  "",
		"the jwt as jti":                token,
		"the uid as jti":                strconv.FormatInt(u.ID, 10),
	} {
		forged := fdSign(t, secret, jwt.MapClaims{"uid": "1", "name": "admin", "iat": now, "exp": exp, "jti": jti})
		wantBody(t, fdDMSUser(e, fdCookie(forged)...), http.StatusUnauthorized, fdBadDMSToken)
		if status, _ := fdMe(t, e, fdBearer(forged)...); status != http.StatusUnauthorized {
			t.Errorf("%s: /api/users/me %d", name, status)
		}
		if r := e.Do("GET", "/api/auth", nil, fdCookie(forged)...); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: /api/auth %d", name, r.Status)
		}
	}
	// The same claims around a live session are accepted: the check above
	// failed for the session, not for the signature.
	good := fdSign(t, secret, jwt.MapClaims{"uid": "2", "name": "alice", "iat": now, "exp": exp, "jti": jti})
	wantBody(t, fdDMSUser(e, fdCookie(good)...), http.StatusOK, fdDMSUserBody(u.ID, "alice"))

	// With the secret set, none is generated into SQL.
	if v, err := e.App.SQL.GetOrCreateSetting(t.Context(), "jwt_secret", "x"); err != nil || v != "x" {
		t.Errorf("jwt_secret setting = %q, %v; want none stored", v, err)
	}
}

func TestJWTSecretGeneratedOnceAndShared(t *testing.T) {
	e := apptest.New(t)
	stored, err := e.App.SQL.GetOrCreateSetting(t.Context(), "jwt_secret", "x")
	if err != nil || stored == "x" || len(stored) < 32 {
		t.Fatalf("jwt_secret setting = %q, %v; want a generated secret", stored, err)
	}
	token := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return []byte(stored), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(e.Clock.Now)); err != nil {
		t.Fatalf("the token is not signed with the stored secret: %v", err)
	}

	// A second process on the same database and Redis signs and verifies
	// alike: its JWTs work on the first and the other way round.
	e2 := e.Join()
	if again, _ := e2.App.SQL.GetOrCreateSetting(t.Context(), "jwt_secret", "y"); again != stored {
		t.Fatalf("second process secret %q, first %q", again, stored)
	}
	wantBody(t, fdDMSUser(e2, fdCookie(token)...), http.StatusOK, fdDMSUserBody(1, "admin"))
	token2 := fdDMSLogin(t, e2, "admin", apptest.AdminPassword)
	wantBody(t, fdDMSUser(e, fdCookie(token2)...), http.StatusOK, fdDMSUserBody(1, "admin"))
	// A logout on one process ends the session on the other.
	if r := e2.Do("DELETE", "/v1/dms/sessions", nil, fdCookie(token)...); r.Status != http.StatusOK {
		t.Fatalf("logout on the second process: %d %s", r.Status, r.Body)
	}
	wantBody(t, fdDMSUser(e, fdCookie(token)...), http.StatusUnauthorized, fdBadDMSToken)

	// A process with another secret refuses the tokens, though the session lives.
	e3 := e.Join(func(c *config.Config) { c.JWTSecret = "a different secret" })
	wantBody(t, fdDMSUser(e3, fdCookie(token2)...), http.StatusUnauthorized, fdBadDMSToken)
	wantBody(t, fdDMSUser(e, fdCookie(token2)...), http.StatusOK, fdDMSUserBody(1, "admin"))
}

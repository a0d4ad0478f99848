package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"xtraauth/app/apptest"
)

// fdAuthHeaders are the headers GET /api/auth answers with.
var fdAuthHeaders = []string{"X-Xtra-User-Id", "X-Xtra-Login", "X-Xtra-Roles", "X-Xtra-Client-Id"}

// fdWantAuth checks a forward-auth answer: status and exactly the given
// identity headers (absent ones must be absent).
func fdWantAuth(t *testing.T, r apptest.Response, status int, want map[string]string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	for _, h := range fdAuthHeaders {
		if got := r.Header.Get(h); got != want[h] {
			t.Errorf("%s = %q, want %q", h, got, want[h])
		}
	}
}

func TestForwardAuth(t *testing.T) {
	s := newFDSudoEnv(t)
	e := s.Env
	alice := strconv.FormatInt(s.alice.ID, 10)
	asAlice := map[string]string{"X-Xtra-User-Id": alice, "X-Xtra-Login": "alice", "X-Xtra-Roles": "user"}
	asAdmin := map[string]string{"X-Xtra-User-Id": "1", "X-Xtra-Login": "admin", "X-Xtra-Roles": "admin,user"}
	sudoAlice := map[string]string{"X-Xtra-User-Id": alice, "X-Xtra-Login": "alice", "X-Xtra-Roles": "user", "X-Xtra-Client-Id": "svc"}
	sudoAdmin := map[string]string{"X-Xtra-User-Id": "1", "X-Xtra-Login": "admin", "X-Xtra-Roles": "admin,user", "X-Xtra-Client-Id": "svc"}
	asClient := map[string]string{"X-Xtra-Roles": "client", "X-Xtra-Client-Id": "svc"}

	xs := e.Login("alice", "alice-password")
	adminXS := e.Login("admin", apptest.AdminPassword)
	dms := fdDMSLogin(t, e, "alice", "alice-password")
	adminDMS := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	r := e.Do("POST", "/api/dev_keys", map[string]any{"label": "ci"}, "X-XTRA-AUTH-ID", xs)
	if r.Status != http.StatusOK {
		t.Fatalf("dev_key: %d %s", r.Status, r.Body)
	}
	devKey := r.JSON(t)["data"].(map[string]any)["dev_key"].(string)
	q := url.QueryEscape

	cases := []struct {
		name    string
		path    string
		headers []string
		status  int
		want    map[string]string
	}{
		{"XSwitch token", "/api/auth", []string{"X-XTRA-AUTH-ID", xs}, 200, asAlice},
		{"XSwitch token, Bearer", "/api/auth", fdBearer(xs), 200, asAlice},
		{"XSwitch token, lower-case bearer", "/api/auth", []string{"Authorization", "bearer " + xs}, 200, asAlice},
		{"XSwitch token in the query", "/api/auth?access_token=" + q(xs), nil, 200, asAlice},
		{"admin", "/api/auth", []string{"X-XTRA-AUTH-ID", adminXS}, 200, asAdmin},
		{"dev_key", "/api/auth", []string{"X-XTRA-AUTH-ID", devKey}, 200, asAlice},
		{"dev_key, Bearer", "/api/auth", fdBearer(devKey), 200, asAlice},
		{"dms-token cookie", "/api/auth", fdCookie(dms), 200, asAlice},
		{"dms-token cookie of admin", "/api/auth", fdCookie(adminDMS), 200, asAdmin},
		{"DMS JWT, Bearer", "/api/auth", fdBearer(dms), 200, asAlice},
		{"OAuth token, sudo in the query", "/api/auth?sudo=loginName:alice", fdBearer(s.svc), 200, sudoAlice},
		{"OAuth token and sudo in the query", "/api/auth?access_token=" + q(s.svc) + "&sudo=uid:" + alice, nil, 200, sudoAlice},
		{"OAuth token and sudo in X-Forwarded-Uri", "/api/auth",
			[]string{"X-Forwarded-Uri", "/app/page?x=1&access_token=" + q(s.svc) + "&sudo=email:" + q("alice@example.com")}, 200, sudoAlice},
		{"OAuth token and sudo in X-Original-URI", "/api/auth",
			[]string{"X-Original-URI", "/app?access_token=" + q(s.svc) + "&sudo=loginName:admin"}, 200, sudoAdmin},
		{"OAuth Bearer, sudo in X-Forwarded-Uri", "/api/auth",
			append(fdBearer(s.svc), "X-Forwarded-Uri", "/app?sudo=mobile:13800000001&tenantCode=default"), 200, sudoAlice},
		{"OAuth token without sudo", "/api/auth", fdBearer(s.svc), 200, asClient},
		{"OAuth token without sudo, X-Forwarded-Uri", "/api/auth", []string{"X-Forwarded-Uri", "/app?access_token=" + q(s.svc)}, 200, asClient},
		{"X-Forwarded-Uri token wins over cookies, as ?access_token= does", "/api/auth",
			append(fdCookie(dms), "X-Forwarded-Uri", "/app?access_token="+q(s.svc)+"&sudo=loginName:admin"), 200, sudoAdmin},
		{"header wins over X-Forwarded-Uri", "/api/auth",
			[]string{"X-XTRA-AUTH-ID", xs, "X-Forwarded-Uri", "/app?access_token=" + q(adminXS)}, 200, asAlice},

		{"nothing", "/api/auth", nil, 401, nil},
		{"garbage", "/api/auth", []string{"X-XTRA-AUTH-ID", "garbage"}, 401, nil},
		{"garbage Bearer", "/api/auth", fdBearer("a.b.c"), 401, nil},
		{"garbage cookie", "/api/auth", fdCookie("x.y.z"), 401, nil},
		{"empty Bearer", "/api/auth", []string{"Authorization", "Bearer "}, 401, nil},
		{"Basic", "/api/auth", fdBasic("alice", "alice-password"), 401, nil},
		{"a password as token", "/api/auth", []string{"X-XTRA-AUTH-ID", "alice-password"}, 401, nil},
		{"garbage in X-Forwarded-Uri", "/api/auth", []string{"X-Forwarded-Uri", "/app?access_token=garbage"}, 401, nil},
		{"unparsable X-Forwarded-Uri", "/api/auth", []string{"X-Forwarded-Uri", "%zz?access_token=" + q(s.svc)}, 401, nil},

		// Refused sudo: 403, which proxies pass on (nginx auth_request
		// makes a 500 of anything but 2xx, 401 and 403).
		{"sudo without the right", "/api/auth?sudo=loginName:alice", fdBearer(s.plain), 403, nil},
		{"sudo to an unknown user", "/api/auth?sudo=loginName:nobody", fdBearer(s.svc), 403, nil},
		{"sudo to a disabled user", "/api/auth?sudo=loginName:carol", fdBearer(s.svc), 403, nil},
		{"sudo to another tenant", "/api/auth?sudo=loginName:bob", fdBearer(s.svc), 403, nil},
		{"malformed sudo", "/api/auth?sudo=alice", fdBearer(s.svc), 403, nil},
		{"sudo on a session", "/api/auth", []string{"X-XTRA-AUTH-ID", xs, "X-Forwarded-Uri", "/app?sudo=loginName:admin"}, 403, nil},
		{"sudo on a dms-token", "/api/auth?sudo=loginName:admin", fdCookie(dms), 403, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do("GET", c.path, nil, c.headers...)
			fdWantAuth(t, r, c.status, c.want)
			if c.status == 200 && r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
			}
			if c.status == 401 {
				wantBody(t, r, 401, fdXSwitchError(401, "Not Authorized"))
			}
			// HEAD answers alike, for proxies that use it.
			fdWantAuth(t, e.Do("HEAD", c.path, nil, c.headers...), c.status, c.want)
		})
	}
}

// Credentials that ended are refused at once.
func TestForwardAuthEndedCredentials(t *testing.T) {
	s := newFDSudoEnv(t)
	e := s.Env
	ok := func(h ...string) bool {
		t.Helper()
		r := e.Do("GET", "/api/auth", nil, h...)
		if r.Status != http.StatusOK && r.Status != http.StatusUnauthorized {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		return r.Status == http.StatusOK
	}
	xs := e.Login("alice", "alice-password")
	dms := fdDMSLogin(t, e, "alice", "alice-password")
	if !ok("X-XTRA-AUTH-ID", xs) || !ok(fdCookie(dms)...) {
		t.Fatal("fresh credentials refused")
	}
	e.Do("DELETE", "/api/sessions", nil, "X-XTRA-AUTH-ID", xs)
	e.Do("DELETE", "/v1/dms/sessions", nil, fdCookie(dms)...)
	if ok("X-XTRA-AUTH-ID", xs) || ok(fdCookie(dms)...) {
		t.Fatal("logged-out credentials accepted")
	}

	// Disabling a user ends every way in, sudo included.
	xs = e.Login("alice", "alice-password")
	admin := e.Login("admin", apptest.AdminPassword)
	r := e.Do("PUT", "/api/users/"+strconv.FormatInt(s.alice.ID, 10), map[string]any{"disabled": 1}, "X-XTRA-AUTH-ID", admin)
	if r.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if ok("X-XTRA-AUTH-ID", xs) {
		t.Fatal("a disabled user's session accepted")
	}
	if r := e.Do("GET", "/api/auth?sudo=loginName:alice", nil, fdBearer(s.svc)...); r.Status != http.StatusForbidden {
		t.Fatalf("sudo to a disabled user: %d", r.Status)
	}

	// Sessions and access tokens expire.
	bob := e.Login("bob", "bob-password")
	e.Advance(12 * time.Hour)
	if ok(fdBearer(s.svc)...) || !ok("X-XTRA-AUTH-ID", bob) {
		t.Fatal("after 12h: the access token should be gone, the session alive")
	}
	e.Advance(12 * time.Hour)
	if ok("X-XTRA-AUTH-ID", bob) {
		t.Fatal("after 24h: the session should be gone")
	}
}

package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"xtraauth/app/apptest"
	"xtraauth/store"
)

// Sessions carry their user's identity (id, login, admin or not, tenant),
// so an authenticated request reads no SQL. Every change of it ends the
// user's sessions at once, on every door; changes of other fields do not.
func TestIdentityChangesEndSessions(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, e *apptest.Env, id int64) map[string]any
		ends   bool
	}{
		{"made admin", func(*testing.T, *apptest.Env, int64) map[string]any {
			return map[string]any{"is_super": 1}
		}, true},
		{"moved to another tenant", func(t *testing.T, e *apptest.Env, _ int64) map[string]any {
			return map[string]any{"tenant_id": fdTenant(t, e, "acme").ID}
		}, true},
		{"name, email and mobile changed", func(*testing.T, *apptest.Env, int64) map[string]any {
			return map[string]any{"name": "Alice B", "email": "alice@example.com", "mobile": "13900000000"}
		}, false},
		{"the whole user sent back unchanged", func(t *testing.T, e *apptest.Env, id int64) map[string]any {
			return getUser(t, e, id)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			alice := e.AddUser("alice", alicePassword, false)
			xswitch := e.Login("alice", alicePassword)
			dms := fdDMSLogin(t, e, "alice", alicePassword)
			admin := adminToken(e)
			r := e.Do("PUT", idPath("/api/users/", alice.ID), tt.change(t, e, alice.ID), authHeader(admin)...)
			wantOK(t, r)
			if !tt.ends {
				wantLoggedIn(t, e, xswitch, "alice")
				wantBody(t, fdDMSUser(e, fdCookie(dms)...), http.StatusOK, fdDMSUserBody(alice.ID, "alice"))
				return
			}
			wantLoggedOut(t, e, xswitch)
			wantBody(t, fdDMSUser(e, fdCookie(dms)...), http.StatusUnauthorized, fdBadDMSToken)
			// a new login carries the new identity
			token := e.Login("alice", alicePassword)
			r = e.Do("GET", "/api/auth", nil, authHeader(token)...)
			u := getUser(t, e, alice.ID)
			wantRoles := map[float64]string{0: "user", 1: "admin,user"}[u["is_super"].(float64)]
			if r.Status != http.StatusOK || r.Header.Get("X-Xtra-Roles") != wantRoles {
				t.Fatalf("/api/auth after the change: %d roles %q, want %q", r.Status, r.Header.Get("X-Xtra-Roles"), wantRoles)
			}
			s, err := e.App.Sessions.Lookup(context.Background(), store.Digest(token))
			if err != nil || s.User.TenantID != int64(u["tenant_id"].(float64)) {
				t.Fatalf("new session %+v, %v; want tenant %v", s.User, err, u["tenant_id"])
			}
			wantLoggedIn(t, e, admin, "admin")
		})
	}
}

// TestDroppedAdminLosesAdminRoutes: an admin made a user again loses the
// admin routes at once, with the session that had them ended.
func TestDroppedAdminLosesAdminRoutes(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	bob := e.AddUser("bob", alicePassword, true)
	bobToken := e.Login("bob", alicePassword)
	wantOK(t, e.Do("GET", "/api/locks", nil, authHeader(bobToken)...))
	wantOK(t, e.Do("PUT", idPath("/api/users/", bob.ID), map[string]any{"is_super": 0}, authHeader(adminToken(e))...))
	wantError(t, e.Do("GET", "/api/locks", nil, authHeader(bobToken)...), http.StatusUnauthorized, "Not Authorized")
	wantError(t, e.Do("GET", "/api/locks", nil, authHeader(e.Login("bob", alicePassword))...), http.StatusForbidden, "Forbidden")
}

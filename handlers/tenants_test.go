package handlers_test

import (
	"strings"
	"testing"

	"xtraauth/app/apptest"
)

func TestTenants(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	admin := authHeader(adminToken(e))
	created := rfc3339(e.Clock.Now())
	tenant := func(id int, code, name string) map[string]any {
		return map[string]any{"id": id, "code": code, "name": name, "created_at": created}
	}
	tests := []struct {
		name   string
		body   any
		status int
		want   any
	}{
		{"JSON", map[string]any{"code": "acme", "name": "Acme 有限公司"}, 200, tenant(2, "acme", "Acme 有限公司")},
		{"form, the name defaults to the code", "code=globex", 200, tenant(3, "globex", "globex")},
		{"a number as code", map[string]any{"code": 42}, 200, tenant(4, "42", "42")},
		{"taken code", map[string]any{"code": "acme", "name": "again"}, 409, errBody(409, "Already Exists")},
		{"default is taken", map[string]any{"code": "default"}, 409, errBody(409, "Already Exists")},
		{"no code", map[string]any{"name": "x"}, 400, errBody(400, "tenant code must be 1 to 64 characters without spaces or control characters")},
		{"space in the code", map[string]any{"code": "a b"}, 400, errBody(400, "tenant code must be 1 to 64 characters without spaces or control characters")},
		{"control character", map[string]any{"code": "a\tb"}, 400, errBody(400, "tenant code must be 1 to 64 characters without spaces or control characters")},
		{"long code", map[string]any{"code": strings.Repeat("c", 65)}, 400, errBody(400, "tenant code must be 1 to 64 characters without spaces or control characters")},
		{"long name", map[string]any{"code": "c", "name": strings.Repeat("n", 256)}, 400, errBody(400, "tenant name must be at most 255 bytes without control characters")},
		{"newline in the name", map[string]any{"code": "c", "name": "a\nb"}, 400, errBody(400, "tenant name must be at most 255 bytes without control characters")},
		{"text/plain", `{"code":"x"}`, 415, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := admin
			if tt.status == 415 {
				headers = append([]string{"Content-Type", "text/plain"}, admin...)
			}
			r := e.Do("POST", "/api/tenants", tt.body, headers...)
			if tt.want == nil {
				if r.Status != tt.status {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				return
			}
			if tt.status == 200 {
				tt.want = map[string]any{"code": 200, "data": tt.want}
			}
			wantBody(t, r, tt.status, tt.want)
		})
	}
	def := e.Do("GET", "/api/tenants", nil, admin...).JSON(t)["data"].([]any)[0].(map[string]any)
	wantBody(t, e.Do("GET", "/api/tenants", nil, admin...), 200, map[string]any{"code": 200, "rowCount": 4, "page": 1,
		"data": []any{map[string]any{"id": 1, "code": "default", "name": "Default", "created_at": def["created_at"]},
			tenant(2, "acme", "Acme 有限公司"), tenant(3, "globex", "globex"), tenant(4, "42", "42")}})

	t.Run("a new tenant is usable at once", func(t *testing.T) {
		r := e.Do("POST", "/api/oauth2/clients", map[string]any{"id": "ci", "tenants": []string{"globex"}}, admin...)
		if r.Status != 200 {
			t.Fatalf("client in the new tenant: %d %s", r.Status, r.Body)
		}
		r = e.Do("POST", "/api/users", map[string]any{"login": "g1", "password": "pw-g1", "tenant_id": 3}, admin...)
		if r.Status != 200 {
			t.Fatalf("user in the new tenant: %d %s", r.Status, r.Body)
		}
	})
	t.Run("admins only", func(t *testing.T) {
		e.AddUser("carol", "pw-carol", false)
		carol := authHeader(e.Login("carol", "pw-carol"))
		wantError(t, e.Do("GET", "/api/tenants", nil, carol...), 403, "Forbidden")
		wantError(t, e.Do("POST", "/api/tenants", map[string]any{"code": "x"}, carol...), 403, "Forbidden")
		wantError(t, e.Do("GET", "/api/tenants", nil), 401, "Not Authorized")
		wantError(t, e.Do("POST", "/api/tenants", map[string]any{"code": "x"}), 401, "Not Authorized")
		wantError(t, e.Do("DELETE", "/api/tenants", nil, admin...), 405, "Method Not Allowed")
	})
}

package handlers_test

import (
	"testing"

	"xtraauth/app/apptest"
)

// Every front door answers in its own shape, also for the requests no
// route takes: unknown paths (404) and wrong methods (405).
func TestDoorsAnswerInTheirShape(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	tests := []struct {
		method, path string
		status       int
		body         map[string]any
	}{
		{"GET", "/api/nope", 404, map[string]any{"code": 404, "text": "Not Found", "message": "Not Found"}},
		{"PUT", "/api/sessions", 405, map[string]any{"code": 405, "text": "Method Not Allowed", "message": "Method Not Allowed"}},
		{"GET", "/v1/dms/nope", 404, map[string]any{"code": 404, "message": "Not Found"}},
		{"GET", "/v1/dms/sessions", 405, map[string]any{"code": 405, "message": "Method Not Allowed"}},
		{"GET", "/v1/dms/sessions/user", 401, map[string]any{"message": "can not find dms-token"}},
		{"POST", "/v1/dms/sessions", 400, map[string]any{"code": 400, "message": "login is required"}},
		{"GET", "/oauth2/nope", 404, map[string]any{"error": "invalid_request", "error_description": "Not Found"}},
		{"GET", "/oauth2/token", 405, map[string]any{"error": "invalid_request", "error_description": "Method Not Allowed"}},
		{"POST", "/oauth2/token", 400, map[string]any{"error": "invalid_request", "error_description": "grant_type is required"}},
	}
	for _, tt := range tests {
		var body any
		if tt.method == "POST" {
			body = map[string]any{}
		}
		if tt.path == "/oauth2/token" && tt.method == "POST" {
			body = "x=1"
		}
		wantBody(t, e.Do(tt.method, tt.path, body), tt.status, tt.body)
	}
	if r := e.Do("GET", "/v1/dms/nope", nil); r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("no-store missing on a door's 404")
	}
}

package handlers_test

import (
	"testing"

	"xtraauth/app/apptest"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	wantBody(t, e.Do("GET", "/healthz", nil), 200, map[string]any{"code": 200, "text": "OK"})
	wantBody(t, e.Do("GET", "/readyz", nil), 200, map[string]any{"code": 200, "text": "OK"})

	e.Redis.Close()
	wantError(t, e.Do("GET", "/readyz", nil), 503, "Service Unavailable")
	wantBody(t, e.Do("GET", "/healthz", nil), 200, map[string]any{"code": 200, "text": "OK"})
}

func TestReadyWithoutSQL(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	if err := e.App.SQL.Close(); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.Do("GET", "/readyz", nil), 503, "Service Unavailable")
}

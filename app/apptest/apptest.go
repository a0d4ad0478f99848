// Package apptest runs a whole xtraauth server in a test: SQLite in a
// temporary directory, miniredis, cheap password hashing and a fake clock
// that moves both the services' time and Redis TTLs.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"xtraauth/app"
	"xtraauth/config"
	"xtraauth/internal/testkit"
	"xtraauth/store"
)

// AdminPassword is the password of the admin every Env starts with.
const AdminPassword = "admin-password"

// Env is a running server with its stores.
type Env struct {
	t      testing.TB
	App    *app.App
	Server *httptest.Server
	Redis  *miniredis.Miniredis
	Clock  *testkit.Clock     // the services' time; move it with Advance, which moves Redis TTLs too
	Log    *testkit.LogBuffer // what the server logged
}

// Config returns the settings an Env uses; tests change them through New.
func Config(t testing.TB) config.Config {
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Argon2 = config.Argon2{Memory: testkit.CheapHash.Memory, Time: testkit.CheapHash.Time, Threads: testkit.CheapHash.Threads}
	return cfg
}

// New starts a server; change adjusts its settings first.
func New(t testing.TB, change ...func(*config.Config)) *Env {
	t.Helper()
	mr := miniredis.RunT(t)
	cfg := Config(t)
	cfg.RedisURL = "redis://" + mr.Addr()
	for _, c := range change {
		c(&cfg)
	}
	clock := testkit.NewClock()
	log := &testkit.LogBuffer{}
	a, err := app.OpenServer(context.Background(), cfg, log.Logger(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Accounts.EnsureAdmin(context.Background(), "admin", AdminPassword); err != nil {
		t.Fatal(err)
	}
	a.StartBackground(context.Background())
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &Env{t: t, App: a, Server: srv, Redis: mr, Clock: clock, Log: log}
}

// Join starts a second server on e's stores and clock, as a second process
// of the same installation would run: the same Redis (URL and key prefix)
// and the same SQLite file. change adjusts its settings first.
func (e *Env) Join(change ...func(*config.Config)) *Env {
	e.t.Helper()
	cfg := e.App.Cfg
	for _, c := range change {
		c(&cfg)
	}
	log := &testkit.LogBuffer{}
	a, err := app.OpenServer(context.Background(), cfg, log.Logger(), e.Clock.Now)
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	e.t.Cleanup(func() { srv.Close(); a.Close() })
	return &Env{t: e.t, App: a, Server: srv, Redis: e.Redis, Clock: e.Clock, Log: log}
}

// Advance moves the fake clock and Redis TTLs forward together.
func (e *Env) Advance(d time.Duration) {
	e.Clock.Advance(d)
	e.Redis.FastForward(d)
}

// StartIntegrations runs the background work of notifications and
// approvals as the real server does, waking every tick instead of every
// second, until the test ends.
func (e *Env) StartIntegrations(tick time.Duration) {
	e.App.NotifyTick = tick
	e.App.StartIntegrations(context.Background())
}

// AddUser creates a user with a password and returns it.
func (e *Env) AddUser(login, password string, admin bool) store.User {
	e.t.Helper()
	u, err := e.App.Accounts.Create(context.Background(), store.User{Login: login, Name: login, IsSuper: admin}, password)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

// Do sends a request. body may be nil, a string (sent as a form unless
// headers say otherwise) or anything else (sent as JSON).
func (e *Env) Do(method, path string, body any, headers ...string) Response {
	e.t.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, contentType = strings.NewReader(b), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// Login logs in with a password and returns the token, failing the test otherwise.
func (e *Env) Login(login, password string) string {
	e.t.Helper()
	r := e.Do("POST", "/api/sessions", map[string]string{"login": login, "password": password})
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", login, r.Status, r.Body)
	}
	return r.JSON(e.t)["token"].(string)
}

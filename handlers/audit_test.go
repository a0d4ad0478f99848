package handlers_test

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/store"
)

// auditEnv has five audit events a minute apart, from t0 on.
func auditEnv(t testing.TB) (e *apptest.Env, admin string, t0 time.Time) {
	t.Helper()
	e = apptest.New(t)
	t0 = e.Clock.Now().Add(-time.Hour)
	for i, ev := range []store.AuditEvent{
		{Subject: "alice", Address: "192.0.2.1", Kind: "password", Outcome: "failure"},
		{Subject: "alice", Address: "192.0.2.1", Kind: "captcha", Outcome: "required"},
		{Subject: "bob", Address: "192.0.2.2", Kind: "password", Outcome: "failure"},
		{Subject: "client:svc", Address: "192.0.2.3", Kind: "client_secret", Outcome: "failure"},
		{Subject: "alice", Address: "192.0.2.1", Kind: "lock", Outcome: "locked until 2026-01-02T04:08:05Z"},
	} {
		ev.At = t0.Add(time.Duration(i) * time.Minute)
		if err := e.App.SQL.AddAuditEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	return e, adminToken(e), t0
}

func TestAuditList(t *testing.T) {
	t.Parallel()
	e, admin, t0 := auditEnv(t)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	unix := func(min int) string { return strconv.FormatInt(at(min).Unix(), 10) }
	rfc := func(min int) string { return url.QueryEscape(at(min).Format(time.RFC3339)) }
	all := []string{"lock", "client_secret", "password", "captcha", "password"}
	tests := []struct {
		query string
		kinds []string
		count int
		page  int
	}{
		{"", all, 5, 1},
		{"?login=&kind=&from=&to=&_t=1", all, 5, 1},
		{"?login=alice", []string{"lock", "captcha", "password"}, 3, 1},
		{"?login=ALICE", []string{"lock", "captcha", "password"}, 3, 1},
		{"?login=client:svc", []string{"client_secret"}, 1, 1},
		{"?login=nobody", []string{}, 0, 1},
		{"?kind=password", []string{"password", "password"}, 2, 1},
		{"?kind=PASSWORD", []string{}, 0, 1},
		{"?login=alice&kind=password", []string{"password"}, 1, 1},
		{"?from=" + rfc(2), []string{"lock", "client_secret", "password"}, 3, 1},
		{"?to=" + rfc(2), []string{"captcha", "password"}, 2, 1},
		{"?from=" + unix(1) + "&to=" + unix(3), []string{"password", "captcha"}, 2, 1},
		{"?from=" + url.QueryEscape(at(3).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339Nano)), []string{"lock", "client_secret"}, 2, 1},
		{"?from=" + url.QueryEscape(at(4).Add(-time.Millisecond).Format(time.RFC3339Nano)), []string{"lock"}, 1, 1},
		{"?from=" + rfc(4) + "&to=" + rfc(4), []string{}, 0, 1},
		{"?login=alice&from=" + rfc(1) + "&perPage=1", []string{"lock"}, 2, 1},
		{"?perPage=2&page=2", []string{"password", "captcha"}, 5, 2},
		{"?perPage=2&page=3", []string{"password"}, 5, 3},
		{"?perPage=2&page=4", []string{}, 5, 4},
		{"?page=99999999999999999999", []string{}, 5, math.MaxInt},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			kinds := []string{}
			for _, row := range wantPage(t, e.Do("GET", "/api/audit"+tt.query, nil, authHeader(admin)...), tt.count, tt.page) {
				kinds = append(kinds, row.(map[string]any)["kind"].(string))
			}
			if !slices.Equal(kinds, tt.kinds) {
				t.Fatalf("kinds %v, want %v", kinds, tt.kinds)
			}
		})
	}
	t.Run("row shape", func(t *testing.T) {
		r := e.Do("GET", "/api/audit?login=bob", nil, authHeader(admin)...)
		row := r.JSON(t)["data"].([]any)[0].(map[string]any)
		want := map[string]any{"id": row["id"], "created_at": rfc3339(at(2)), "login": "bob",
			"address": "192.0.2.2", "kind": "password", "outcome": "failure"}
		if !equalJSON(t, row, want) {
			t.Fatalf("row %v, want %v", row, want)
		}
	})
}

func TestAuditListRefusals(t *testing.T) {
	t.Parallel()
	e, admin, _ := auditEnv(t)
	e.AddUser("carol", "pw-carol", false)
	carol := e.Login("carol", "pw-carol")
	tests := []struct {
		query   string
		headers []string
		status  int
		text    string
	}{
		{"?from=yesterday", authHeader(admin), 400, "from must be an RFC 3339 time or unix seconds"},
		{"?to=2026-13-01T00:00:00Z", authHeader(admin), 400, "to must be an RFC 3339 time or unix seconds"},
		{"?to=2026-01-02", authHeader(admin), 400, "to must be an RFC 3339 time or unix seconds"},
		{"?from=1.5", authHeader(admin), 400, "from must be an RFC 3339 time or unix seconds"},
		{"?from=99999999999999", authHeader(admin), 400, "from must be an RFC 3339 time or unix seconds"},
		{"?from=-99999999999999", authHeader(admin), 400, "from must be an RFC 3339 time or unix seconds"},
		{"", authHeader(carol), 403, "Forbidden"},
		{"", nil, 401, "Not Authorized"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			wantError(t, e.Do("GET", "/api/audit"+tt.query, nil, tt.headers...), tt.status, tt.text)
		})
	}
}

// FuzzAuditQuery: whatever the query, the audit list answers a page or a
// 400, never a server error.
func FuzzAuditQuery(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", "1"}, {"2026-01-02T03:04:05Z", "1767323045", "2"}, {"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+14:00", "1"},
		{"-62135596800", "253402300799", "99999999999999999999"}, {"1e9", " 1", "-1"}, {"2026-01-02T03:04:05+24:00", "\x00", "x"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	e := apptest.New(f)
	admin := e.Login("admin", apptest.AdminPassword)
	f.Fuzz(func(t *testing.T, from, to, page string) {
		q := url.Values{"from": {from}, "to": {to}, "page": {page}, "kind": {from}, "login": {to}}
		status, body, err := rawDo(e, "GET", "/api/audit?"+q.Encode(), nil, "X-XTRA-AUTH-ID", admin)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusOK && status != http.StatusBadRequest {
			t.Fatalf("from %q to %q page %q: %d %s", from, to, page, status, body)
		}
	})
}

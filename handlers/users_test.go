package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/store"
)

// userKeys are the keys of the contract's user object, no more, no fewer.
var userKeys = []string{"id", "login", "name", "email", "mobile", "tel", "extn_id", "type", "domain",
	"context", "is_super", "disabled", "tenant_id", "last_login_at", "createdAt", "updatedAt"}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// wantUserObject checks that m is a user object with exactly the
// contract's keys, and returns it.
func wantUserObject(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("user is %T %v, want an object", v, v)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(userKeys))
	if !slices.Equal(keys, want) {
		t.Fatalf("user keys %v, want %v", keys, want)
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if s, ok := m[k].(string); !ok {
			t.Fatalf("%s is %v, want a time", k, m[k])
		} else if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Fatalf("%s %q is not RFC 3339 UTC", k, s)
		}
	}
	return m
}

func idPath(prefix string, id int64) string { return prefix + strconv.FormatInt(id, 10) }

// getUser reads a user through the admin API.
func getUser(t testing.TB, e *apptest.Env, id int64) map[string]any {
	t.Helper()
	r := e.Do("GET", idPath("/api/users/", id), nil, authHeader(adminToken(e))...)
	if r.Status != 200 {
		t.Fatalf("get user %d: %d %s", id, r.Status, r.Body)
	}
	return wantUserObject(t, decode(t, r))
}

func TestUsersMe(t *testing.T) {
	e := apptest.New(t)
	created := e.Clock.Now()
	u, err := e.App.Accounts.Create(context.Background(), store.User{Login: "Bob", Name: "Bob B", Email: "bob@example.com",
		Mobile: "13800000000", Tel: "010-1", ExtnID: "1001", Type: store.UserTypeAgent, Domain: "xswitch.cn", Context: "default"}, "bob-password")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("before any login, by dev_key", func(t *testing.T) {
		_, key := newDevKey(t, e, e.Login("bob", "bob-password"), "ci")
		// the login above set last_login_at; a dev_key used as a token does not
		r := e.Do("GET", "/api/users/me", nil, authHeader(key)...)
		m := wantUserObject(t, decode(t, r))
		if m["login"] != "Bob" {
			t.Fatalf("%s", r.Body)
		}
	})
	e.Advance(time.Hour)
	loggedIn := e.Clock.Now()
	token := e.Login("BOB", "bob-password")
	r := e.Do("GET", "/api/users/me", nil, authHeader(token)...)
	m := wantUserObject(t, decode(t, r))
	want := map[string]any{
		"id": u.ID, "login": "Bob", "name": "Bob B", "email": "bob@example.com", "mobile": "13800000000",
		"tel": "010-1", "extn_id": "1001", "type": "AGENT", "domain": "xswitch.cn", "context": "default",
		"is_super": 0, "disabled": 0, "tenant_id": 1, "last_login_at": rfc3339(loggedIn),
		"createdAt": rfc3339(created), "updatedAt": m["updatedAt"],
	}
	if !reflect.DeepEqual(m, normalize(t, want)) {
		t.Fatalf("me\n got %s\nwant %s", r.Body, mustJSON(t, want))
	}
	if strings.Contains(string(r.Body), "argon2") || strings.Contains(string(r.Body), "password") {
		t.Fatalf("a hash leaks: %s", r.Body)
	}

	t.Run("admin is_super 1", func(t *testing.T) {
		r := e.Do("GET", "/api/users/me", nil, authHeader(adminToken(e))...)
		m := wantUserObject(t, decode(t, r))
		if m["is_super"] != float64(1) || m["disabled"] != float64(0) || m["type"] != "NORMAL" {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("never logged in is null", func(t *testing.T) {
		fresh := e.AddUser("fresh", "fresh-password", false)
		m := getUser(t, e, fresh.ID)
		if v, ok := m["last_login_at"]; !ok || v != nil {
			t.Fatalf("last_login_at %v", v)
		}
	})
}

func TestUsersList(t *testing.T) {
	e := apptest.New(t)
	e.AddUser("alice", "pw-alice", false) // id 2
	if _, err := e.App.Accounts.Create(context.Background(), store.User{Login: "bob", Name: "Bob Smith", Type: store.UserTypeAgent}, "pw-bob"); err != nil {
		t.Fatal(err)
	}
	e.AddUser("carol", "pw-carol", false)
	e.AddUser("1007", "pw-1007", false)
	admin := adminToken(e)
	tests := []struct {
		query  string
		logins []string
		count  int
		page   int
	}{
		{"", []string{"admin", "alice", "bob", "carol", "1007"}, 5, 1},
		{"?page=1&perPage=20&login=&name=&type=", []string{"admin", "alice", "bob", "carol", "1007"}, 5, 1},
		{"?_t=1700000000000&hpack=1", []string{"admin", "alice", "bob", "carol", "1007"}, 5, 1},
		{"?login=li", []string{"alice"}, 1, 1},
		{"?login=LI", []string{"alice"}, 1, 1},
		{"?login=%25", []string{}, 0, 1},
		{"?name=smith", []string{"bob"}, 1, 1},
		{"?type=AGENT", []string{"bob"}, 1, 1},
		{"?type=NORMAL", []string{"admin", "alice", "carol", "1007"}, 4, 1},
		{"?type=NORMAL&login=a", []string{"admin", "alice", "carol"}, 3, 1},
		{"?perPage=2", []string{"admin", "alice"}, 5, 1},
		{"?page=2&perPage=2", []string{"bob", "carol"}, 5, 2},
		{"?page=3&perPage=2", []string{"1007"}, 5, 3},
		{"?page=9&perPage=2", []string{}, 5, 9},
		{"?page=0&perPage=0", []string{"admin", "alice", "bob", "carol", "1007"}, 5, 1},
		// a page past the end is empty, however far: never the first page
		{"?page=2", []string{}, 5, 2},
		{"?page=461168601842738790&perPage=20", []string{}, 5, 461168601842738790},
		{"?page=9223372036854775807&perPage=1000", []string{}, 5, math.MaxInt},
		{"?page=99999999999999999999", []string{}, 5, math.MaxInt},
		{"?page=x&perPage=-3", []string{"admin", "alice", "bob", "carol", "1007"}, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			data := wantPage(t, e.Do("GET", "/api/users"+tt.query, nil, authHeader(admin)...), tt.count, tt.page)
			logins := []string{}
			for _, u := range data {
				logins = append(logins, wantUserObject(t, u)["login"].(string))
			}
			if !slices.Equal(logins, tt.logins) {
				t.Fatalf("logins %v, want %v", logins, tt.logins)
			}
		})
	}
	t.Run("non-admin sees only themselves", func(t *testing.T) {
		token := e.Login("carol", "pw-carol")
		for _, q := range []string{"", "?login=admin", "?type=AGENT", "?page=2&perPage=1"} {
			r := e.Do("GET", "/api/users"+q, nil, authHeader(token)...)
			m := r.JSON(t)
			data, _ := m["data"].([]any)
			if r.Status != 200 || m["rowCount"] != float64(1) || m["page"] != float64(1) || len(data) != 1 ||
				wantUserObject(t, data[0])["login"] != "carol" {
				t.Fatalf("%s: %d %s", q, r.Status, r.Body)
			}
		}
	})
	t.Run("no token", func(t *testing.T) {
		wantError(t, e.Do("GET", "/api/users", nil), 401, "Not Authorized")
	})
}

// wantPage checks a list's shape, its rowCount and page, and returns its rows.
func wantPage(t *testing.T, r apptest.Response, rowCount, page int) []any {
	t.Helper()
	m := r.JSON(t)
	if r.Status != 200 || m["code"] != float64(200) || m["rowCount"] != float64(rowCount) || m["page"] != float64(page) || len(m) != 4 {
		t.Fatalf("%d %s, want rowCount %d and page %d", r.Status, r.Body, rowCount, page)
	}
	data, ok := m["data"].([]any)
	if !ok {
		t.Fatalf("data is %T: %s", m["data"], r.Body)
	}
	return data
}

func TestUsersListPerPageCap(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	const extra = 1002 // with admin: 1003 users
	for i := range extra {
		if _, err := e.App.SQL.CreateUser(ctx, store.User{Login: fmt.Sprintf("u%04d", i), CreatedAt: e.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	admin := adminToken(e)
	tests := []struct {
		query      string
		rows, page int
	}{
		{"?perPage=5000", 1000, 1},
		{"?perPage=1000", 1000, 1},
		{"?perPage=5000&page=2", 3, 2}, // the offset uses the capped page size
		{"?perPage=999", 999, 1},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.Do("GET", "/api/users"+tt.query, nil, authHeader(admin)...)
			m := r.JSON(t)
			if data, _ := m["data"].([]any); r.Status != 200 || len(data) != tt.rows || m["rowCount"] != float64(extra+1) || m["page"] != float64(tt.page) {
				t.Fatalf("%d rows %d rowCount %v page %v", r.Status, len(data), m["rowCount"], m["page"])
			}
		})
	}
}

func TestUserGet(t *testing.T) {
	e := apptest.New(t)
	alice := e.AddUser("alice", "pw-alice", false)
	bob := e.AddUser("bob", "pw-bob", false)
	tests := []struct {
		name   string
		as     string
		id     string
		status int
		text   string // for errors
	}{
		{"admin gets another user", "admin", strconv.FormatInt(alice.ID, 10), 200, ""},
		{"user gets themselves", "alice", strconv.FormatInt(alice.ID, 10), 200, ""},
		{"user gets another user", "alice", strconv.FormatInt(bob.ID, 10), 403, "Forbidden"},
		{"user gets the admin", "alice", "1", 403, "Forbidden"},
		{"admin gets nobody", "admin", "9999", 404, "Not Found"},
		{"malformed id", "admin", "abc", 404, "Not Found"},
		{"zero id", "admin", "0", 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw := "pw-" + tt.as
			if tt.as == "admin" {
				pw = apptest.AdminPassword
			}
			r := e.Do("GET", "/api/users/"+tt.id, nil, authHeader(e.Login(tt.as, pw))...)
			if tt.status != 200 {
				wantError(t, r, tt.status, tt.text)
				return
			}
			if m := wantUserObject(t, decode(t, r)); r.Status != 200 || m["id"] != float64(alice.ID) || m["login"] != "alice" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
}

func TestUserCreate(t *testing.T) {
	tests := []struct {
		name   string
		as     string // "admin" or "user"
		body   any
		status int
		text   string         // for errors
		want   map[string]any // fields of the created user
	}{
		{"all fields, empty extn, extn_password and context tolerated", "admin", map[string]any{
			"login": "1008", "name": "Eight", "password": "pw", "type": "NORMAL", "email": "e@x.cn",
			"mobile": "138", "tel": "010", "domain": "xswitch.cn", "extn": "", "extn_password": "", "context": "",
		}, 200, "", map[string]any{"login": "1008", "name": "Eight", "type": "NORMAL", "email": "e@x.cn", "mobile": "138",
			"tel": "010", "domain": "xswitch.cn", "extn_id": "", "context": "", "is_super": 0, "disabled": 0, "tenant_id": 1}},
		{"extn sets extn_id", "admin", map[string]any{"login": "1009", "password": "pw", "extn": "1009"}, 200, "",
			map[string]any{"extn_id": "1009", "type": "NORMAL"}},
		{"AGENT", "admin", map[string]any{"login": "agent", "password": "pw", "type": "AGENT"}, 200, "", map[string]any{"type": "AGENT"}},
		{"is_super 1", "admin", map[string]any{"login": "s1", "password": "pw", "is_super": 1}, 200, "", map[string]any{"is_super": 1}},
		{`is_super "1"`, "admin", map[string]any{"login": "s2", "password": "pw", "is_super": "1"}, 200, "", map[string]any{"is_super": 1}},
		{"is_super true", "admin", map[string]any{"login": "s3", "password": "pw", "is_super": true}, 200, "", map[string]any{"is_super": 1}},
		{"is_super 0", "admin", map[string]any{"login": "s4", "password": "pw", "is_super": 0}, 200, "", map[string]any{"is_super": 0}},
		{`is_super "0"`, "admin", map[string]any{"login": "s5", "password": "pw", "is_super": "0"}, 200, "", map[string]any{"is_super": 0}},
		{"is_super false", "admin", map[string]any{"login": "s6", "password": "pw", "is_super": false}, 200, "", map[string]any{"is_super": 0}},
		{"form body", "admin", "login=form&password=pw&is_super=1&name=Form", 200, "", map[string]any{"login": "form", "is_super": 1, "name": "Form"}},
		{"is_super 2", "admin", map[string]any{"login": "s7", "password": "pw", "is_super": 2}, 400, "Malformed Body", nil},
		{"duplicate login in another case", "admin", map[string]any{"login": "ALICE", "password": "pw"}, 409, "Already Exists", nil},
		{"duplicate login", "admin", map[string]any{"login": "alice", "password": "pw"}, 409, "Already Exists", nil},
		{"non-admin", "user", map[string]any{"login": "x", "password": "pw"}, 403, "Forbidden", nil},
		{"bad type", "admin", map[string]any{"login": "x", "password": "pw", "type": "ROBOT"}, 400, "type must be NORMAL or AGENT", nil},
		{"missing password", "admin", map[string]any{"login": "x"}, 400, "password is required", nil},
		{"missing login", "admin", map[string]any{"password": "pw"}, 400, "login is required", nil},
		{"login over 128 bytes", "admin", map[string]any{"login": strings.Repeat("x", 129), "password": "pw"}, 400, "login is longer than 128 bytes", nil},
		{"text/plain", "admin", jsonWithType{`{"login":"x","password":"pw"}`, "text/plain"}, 415, "Unsupported Media Type: send application/json or application/x-www-form-urlencoded", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			e.AddUser("alice", "pw-alice", false)
			token := adminToken(e)
			if tt.as == "user" {
				token = e.Login("alice", "pw-alice")
			}
			var r apptest.Response
			if b, ok := tt.body.(jsonWithType); ok {
				r = e.Do("POST", "/api/users", b.body, "Content-Type", b.contentType, "X-XTRA-AUTH-ID", token)
			} else {
				r = e.Do("POST", "/api/users", tt.body, authHeader(token)...)
			}
			if tt.status != 200 {
				wantError(t, r, tt.status, tt.text)
				if n, err := e.App.SQL.CountUsers(context.Background()); err != nil || n != 2 {
					t.Fatalf("%d users after a refused create (%v)", n, err)
				}
				return
			}
			m := r.JSON(t)
			if r.Status != 200 || m["code"] != float64(200) || len(m) != 2 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			u := wantUserObject(t, m["data"])
			for k, v := range normalize(t, tt.want).(map[string]any) {
				if u[k] != v {
					t.Errorf("%s is %v, want %v", k, u[k], v)
				}
			}
			if u["createdAt"] != rfc3339(e.Clock.Now()) || u["last_login_at"] != nil {
				t.Errorf("times: %s", r.Body)
			}
			if !reflect.DeepEqual(getUser(t, e, int64(u["id"].(float64))), u) {
				t.Errorf("stored user differs from the reply")
			}
			wantLoggedIn(t, e, e.Login(u["login"].(string), "pw"), u["login"].(string))
		})
	}
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		e := apptest.New(t)
		wantError(t, e.Do("POST", "/api/users", map[string]any{"login": "x", "password": "pw"}), 401, "Not Authorized")
	})
}

func TestUserCreateNothingHalfWritten(t *testing.T) {
	tests := []struct {
		name  string
		field string
		text  string
	}{
		{"name", "name", "name is longer than 255 bytes"},
		{"email", "email", "email is longer than 255 bytes"},
		{"context", "context", "context is longer than 255 bytes"},
		{"extn_id", "extn_id", "extn_id is longer than 255 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			admin := adminToken(e)
			r := e.Do("POST", "/api/users", map[string]any{"login": "long", "password": "pw", tt.field: strings.Repeat("n", 256)}, authHeader(admin)...)
			wantError(t, r, 400, tt.text)
			if _, err := e.App.Accounts.UserByLogin(context.Background(), "long"); err == nil {
				t.Fatal("the user was created")
			}
			if n, err := e.App.SQL.CountUsers(context.Background()); err != nil || n != 1 {
				t.Fatalf("%d users (%v)", n, err)
			}
			// the same with 255 bytes is fine
			r = e.Do("POST", "/api/users", map[string]any{"login": "long", "password": "pw", tt.field: strings.Repeat("n", 255)}, authHeader(admin)...)
			if r.Status != 200 {
				t.Fatalf("255 bytes: %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestUserUpdate(t *testing.T) {
	okBody := func(t testing.TB, r apptest.Response) map[string]any {
		t.Helper()
		m := r.JSON(t)
		if r.Status != 200 || m["code"] != float64(200) || m["text"] != "OK" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		return wantUserObject(t, m["data"])
	}
	type env struct {
		e                  *apptest.Env
		alice, bob         store.User
		aliceToken, admin  string
		aliceMe            map[string]any // alice as GET /api/users/me shows her
		alicePath, bobPath string
	}
	tests := []struct {
		name string
		run  func(t *testing.T, v env)
	}{
		{"user changes own name, email, mobile, tel", func(t *testing.T, v env) {
			u := okBody(t, v.e.Do("PUT", v.alicePath, map[string]any{"name": "Alice A", "email": "a@x.cn", "mobile": "139", "tel": "020"}, authHeader(v.aliceToken)...))
			for k, want := range map[string]string{"name": "Alice A", "email": "a@x.cn", "mobile": "139", "tel": "020"} {
				if u[k] != want {
					t.Errorf("%s %v", k, u[k])
				}
			}
			if !reflect.DeepEqual(getUser(t, v.e, v.alice.ID), u) {
				t.Errorf("not stored")
			}
		}},
		{"user sends the whole user back", func(t *testing.T, v env) {
			body := map[string]any{}
			for k, val := range v.aliceMe {
				body[k] = val
			}
			body["name"] = "Renamed"
			u := okBody(t, v.e.Do("PUT", v.alicePath, body, authHeader(v.aliceToken)...))
			if u["name"] != "Renamed" || u["is_super"] != float64(0) || u["disabled"] != float64(0) {
				t.Fatalf("%v", u)
			}
		}},
		{"unchanged is_super and disabled in other spellings", func(t *testing.T, v env) {
			for _, b := range []map[string]any{
				{"is_super": "0", "disabled": "0"}, {"is_super": false, "disabled": false}, {"is_super": 0, "disabled": 0}, {"is_super": nil},
			} {
				okBody(t, v.e.Do("PUT", v.alicePath, b, authHeader(v.aliceToken)...))
			}
		}},
		{"read-only fields ignored", func(t *testing.T, v env) {
			u := okBody(t, v.e.Do("PUT", v.alicePath, map[string]any{"id": 999, "login": "mallory", "createdAt": "2000-01-01T00:00:00Z",
				"updatedAt": "2000-01-01T00:00:00Z", "last_login_at": "2000-01-01T00:00:00Z", "unknown": 1, "name": "Still Alice"}, authHeader(v.aliceToken)...))
			if u["id"] != float64(v.alice.ID) || u["login"] != "alice" || u["createdAt"] != v.aliceMe["createdAt"] ||
				u["last_login_at"] != v.aliceMe["last_login_at"] || u["name"] != "Still Alice" {
				t.Fatalf("%v", u)
			}
			wantLoggedIn(t, v.e, v.e.Login("alice", "pw-alice"), "alice")
		}},
		{"user's change of admin-only fields is ignored", func(t *testing.T, v env) {
			u := okBody(t, v.e.Do("PUT", v.alicePath, map[string]any{"extn_id": "9999", "type": "AGENT", "tenant_id": 7, "context": "evil"}, authHeader(v.aliceToken)...))
			if u["extn_id"] != "" || u["type"] != "NORMAL" || u["tenant_id"] != float64(1) || u["context"] != "" {
				t.Fatalf("%v", u)
			}
		}},
		{"user makes themselves super admin", func(t *testing.T, v env) {
			for _, val := range []any{1, "1", true} {
				wantError(t, v.e.Do("PUT", v.alicePath, map[string]any{"is_super": val}, authHeader(v.aliceToken)...), 403, "Forbidden")
			}
			if getUser(t, v.e, v.alice.ID)["is_super"] != float64(0) {
				t.Fatal("changed")
			}
		}},
		{"user disables themselves", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", v.alicePath, map[string]any{"disabled": 1, "name": "x"}, authHeader(v.aliceToken)...), 403, "Forbidden")
			if u := getUser(t, v.e, v.alice.ID); u["disabled"] != float64(0) || u["name"] != "alice" {
				t.Fatalf("changed: %v", u)
			}
		}},
		{"user changes another user", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", v.bobPath, map[string]any{"name": "x"}, authHeader(v.aliceToken)...), 403, "Forbidden")
			if getUser(t, v.e, v.bob.ID)["name"] != "bob" {
				t.Fatal("changed")
			}
		}},
		{"admin changes everything", func(t *testing.T, v env) {
			u := okBody(t, v.e.Do("PUT", v.bobPath, map[string]any{"name": "Bob", "extn_id": "1010", "type": "AGENT", "context": "ctx",
				"domain": "d", "is_super": "1"}, authHeader(v.admin)...))
			if u["name"] != "Bob" || u["extn_id"] != "1010" || u["type"] != "AGENT" || u["context"] != "ctx" || u["domain"] != "d" || u["is_super"] != float64(1) {
				t.Fatalf("%v", u)
			}
			if r := v.e.Do("POST", "/api/sessions", map[string]any{"login": "bob", "password": "pw-bob"}); r.JSON(t)["currentAuthority"] != "admin" {
				t.Fatalf("bob is no admin: %s", r.Body)
			}
		}},
		{"admin sets a bad type", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", v.bobPath, map[string]any{"type": "ROBOT", "name": "x"}, authHeader(v.admin)...), 400, "type must be NORMAL or AGENT")
			if u := getUser(t, v.e, v.bob.ID); u["type"] != "NORMAL" || u["name"] != "bob" {
				t.Fatalf("changed: %v", u)
			}
		}},
		{"admin sets a too long name", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", v.bobPath, map[string]any{"name": strings.Repeat("n", 256)}, authHeader(v.admin)...), 400, "name is longer than 255 bytes")
			if getUser(t, v.e, v.bob.ID)["name"] != "bob" {
				t.Fatal("changed")
			}
		}},
		{"nothing half-written: a new password with a bad field", func(t *testing.T, v env) {
			bobToken := v.e.Login("bob", "pw-bob")
			r := v.e.Do("PUT", v.bobPath, map[string]any{"password": "new-pw", "email": strings.Repeat("e", 256)}, authHeader(v.admin)...)
			wantError(t, r, 400, "email is longer than 255 bytes")
			wantLoggedIn(t, v.e, bobToken, "bob") // no reset happened, so no session ended
			v.e.Login("bob", "pw-bob")
			wantError(t, v.e.Do("POST", "/api/sessions", map[string]any{"login": "bob", "password": "new-pw"}), 403, wrongText)
		}},
		{"email taken by another user", func(t *testing.T, v env) {
			okBody(t, v.e.Do("PUT", v.bobPath, map[string]any{"email": "same@x.cn"}, authHeader(v.admin)...))
			wantError(t, v.e.Do("PUT", v.alicePath, map[string]any{"email": "same@x.cn", "name": "x"}, authHeader(v.aliceToken)...), 409, "Already Exists")
			if u := getUser(t, v.e, v.alice.ID); u["email"] != "" || u["name"] != "alice" {
				t.Fatalf("changed: %v", u)
			}
			r := v.e.Do("POST", "/api/users", map[string]any{"login": "carol", "password": "pw", "email": "same@x.cn"}, authHeader(v.admin)...)
			wantError(t, r, 409, "Already Exists")
		}},
		{"unknown user", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", "/api/users/9999", map[string]any{"name": "x"}, authHeader(v.admin)...), 404, "Not Found")
		}},
		{"text/plain body", func(t *testing.T, v env) {
			r := v.e.Do("PUT", v.alicePath, `{"name":"x"}`, "Content-Type", "text/plain", "X-XTRA-AUTH-ID", v.aliceToken)
			wantError(t, r, 415, "Unsupported Media Type: send application/json or application/x-www-form-urlencoded")
		}},
		{"form body", func(t *testing.T, v env) {
			u := okBody(t, v.e.Do("PUT", v.alicePath, "name=Form&is_super=0", authHeader(v.aliceToken)...))
			if u["name"] != "Form" {
				t.Fatalf("%v", u)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			v := env{e: e, alice: e.AddUser("alice", "pw-alice", false), bob: e.AddUser("bob", "pw-bob", false)}
			v.aliceToken, v.admin = e.Login("alice", "pw-alice"), adminToken(e)
			v.alicePath, v.bobPath = idPath("/api/users/", v.alice.ID), idPath("/api/users/", v.bob.ID)
			v.aliceMe = wantUserObject(t, decode(t, e.Do("GET", "/api/users/me", nil, authHeader(v.aliceToken)...)))
			e.Advance(time.Minute)
			tt.run(t, v)
		})
	}
}

func TestPasswordChange(t *testing.T) {
	type env struct {
		e                   *apptest.Env
		alice               store.User
		path                string
		aliceA, aliceB, adm string // two sessions of alice, one of admin
		key                 string // alice's dev_key
	}
	tests := []struct {
		name string
		run  func(t *testing.T, v env)
	}{
		{"own change without old_password", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", v.path, map[string]any{"password": "new-pw"}, authHeader(v.aliceA)...), 400, "old_password is required to change your own password")
			wantLoggedIn(t, v.e, v.aliceB, "alice")
			v.e.Login("alice", "pw-alice")
		}},
		{"own change with a wrong old_password", func(t *testing.T, v env) {
			r := v.e.Do("PUT", v.path, map[string]any{"password": "new-pw", "old_password": "wrong"}, authHeader(v.aliceA)...)
			if m := r.JSON(t); r.Status != 403 || m["code"] != float64(403) || m["text"] == "" || m["message"] != m["text"] {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			wantLoggedIn(t, v.e, v.aliceB, "alice")
			v.e.Login("alice", "pw-alice")
		}},
		{"own change ends the other sessions only", func(t *testing.T, v env) {
			r := v.e.Do("PUT", v.path, map[string]any{"password": "new-pw", "old_password": "pw-alice"}, authHeader(v.aliceA)...)
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			wantLoggedIn(t, v.e, v.aliceA, "alice")
			wantLoggedOut(t, v.e, v.aliceB)
			wantLoggedIn(t, v.e, v.adm, "admin")
			wantLoggedIn(t, v.e, v.key, "alice") // dev_keys are not sessions
			wantError(t, v.e.Do("POST", "/api/sessions", map[string]any{"login": "alice", "password": "pw-alice"}), 403, wrongText)
			wantLoggedIn(t, v.e, v.e.Login("alice", "new-pw"), "alice")
		}},
		{"own change through a dev_key ends every session", func(t *testing.T, v env) {
			r := v.e.Do("PUT", v.path, map[string]any{"password": "new-pw", "old_password": "pw-alice"}, authHeader(v.key)...)
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			wantLoggedOut(t, v.e, v.aliceA)
			wantLoggedOut(t, v.e, v.aliceB)
		}},
		{"admin reset ends all the user's sessions and revokes their dev_keys", func(t *testing.T, v env) {
			_, admKey := newDevKey(t, v.e, v.adm, "mine")
			r := v.e.Do("PUT", v.path, map[string]any{"password": "reset-pw", "revoke_dev_keys": 0}, authHeader(v.adm)...)
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			wantLoggedOut(t, v.e, v.aliceA)
			wantLoggedOut(t, v.e, v.aliceB)
			wantLoggedOut(t, v.e, v.key)
			wantLoggedIn(t, v.e, v.adm, "admin")
			wantLoggedIn(t, v.e, admKey, "admin")
			alice := v.e.Login("alice", "reset-pw")
			wantLoggedIn(t, v.e, alice, "alice")
			if keys := listKeys(t, v.e, alice, "/api/dev_keys"); len(keys) != 0 {
				t.Fatalf("alice keeps %d dev_keys after a reset", len(keys))
			}
		}},
		{"own change with revoke_dev_keys revokes them", func(t *testing.T, v env) {
			for _, flag := range []any{1, "1", true} {
				_, key2 := newDevKey(t, v.e, v.aliceA, "laptop")
				body := map[string]any{"password": "new-pw", "old_password": "pw-alice", "revoke_dev_keys": flag}
				wantOK(t, v.e.Do("PUT", v.path, body, authHeader(v.aliceA)...))
				wantLoggedOut(t, v.e, v.key)
				wantLoggedOut(t, v.e, key2)
				wantLoggedIn(t, v.e, v.aliceA, "alice")
				wantLoggedOut(t, v.e, v.aliceB)
				if keys := listKeys(t, v.e, v.aliceA, "/api/dev_keys"); len(keys) != 0 {
					t.Fatalf("revoke_dev_keys %v: %d keys left", flag, len(keys))
				}
				body = map[string]any{"password": "pw-alice", "old_password": "new-pw"} // back, for the next round
				wantOK(t, v.e.Do("PUT", v.path, body, authHeader(v.aliceA)...))
			}
		}},
		{"admin's own change keeps the admin's dev_keys unless asked", func(t *testing.T, v env) {
			_, admKey := newDevKey(t, v.e, v.adm, "mine")
			body := map[string]any{"password": "new-admin-pw", "old_password": apptest.AdminPassword, "revoke_dev_keys": false}
			wantOK(t, v.e.Do("PUT", "/api/users/1", body, authHeader(v.adm)...))
			wantLoggedIn(t, v.e, admKey, "admin")
			wantLoggedIn(t, v.e, v.key, "alice")
		}},
		{"a refused change revokes nothing", func(t *testing.T, v env) {
			body := map[string]any{"password": "new-pw", "old_password": "wrong", "revoke_dev_keys": 1}
			wantError(t, v.e.Do("PUT", v.path, body, authHeader(v.aliceA)...), 403, "Wrong Old Password")
			wantLoggedIn(t, v.e, v.key, "alice")
		}},
		{"revoke_dev_keys without a new password", func(t *testing.T, v env) {
			for _, body := range []map[string]any{{"revoke_dev_keys": 1}, {"revoke_dev_keys": 1, "password": "", "name": "A"}} {
				wantError(t, v.e.Do("PUT", v.path, body, authHeader(v.aliceA)...), 400, "revoke_dev_keys goes with a new password")
				wantError(t, v.e.Do("PUT", v.path, body, authHeader(v.adm)...), 400, "revoke_dev_keys goes with a new password")
			}
			wantLoggedIn(t, v.e, v.key, "alice")
			if got := getUser(t, v.e, v.alice.ID)["name"]; got != "alice" {
				t.Fatalf("name changed to %v by a refused change", got)
			}
		}},
		{"revoke_dev_keys that is no flag", func(t *testing.T, v env) {
			body := map[string]any{"password": "new-pw", "old_password": "pw-alice", "revoke_dev_keys": "yes"}
			wantError(t, v.e.Do("PUT", v.path, body, authHeader(v.aliceA)...), 400, "Malformed Body")
			wantLoggedIn(t, v.e, v.key, "alice")
			wantLoggedIn(t, v.e, v.aliceB, "alice")
		}},
		{"admin's own change needs old_password", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", "/api/users/1", map[string]any{"password": "new-pw"}, authHeader(v.adm)...), 400, "old_password is required to change your own password")
		}},
		{"password over 1024 bytes", func(t *testing.T, v env) {
			wantError(t, v.e.Do("PUT", v.path, map[string]any{"password": strings.Repeat("p", 1025)}, authHeader(v.adm)...), 400, "password is longer than 1024 bytes")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			v := env{e: e, alice: e.AddUser("alice", "pw-alice", false)}
			v.path = idPath("/api/users/", v.alice.ID)
			v.aliceA, v.aliceB, v.adm = e.Login("alice", "pw-alice"), e.Login("alice", "pw-alice"), adminToken(e)
			_, v.key = newDevKey(t, e, v.aliceA, "ci")
			tt.run(t, v)
		})
	}
}

func TestDisableAndDeleteUser(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   any
	}{
		{"disable", "PUT", map[string]any{"disabled": 1}},
		{"disable with true", "PUT", map[string]any{"disabled": true}},
		{"delete", "DELETE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			alice := e.AddUser("alice", "pw-alice", false)
			token := e.Login("alice", "pw-alice")
			keyID, key := newDevKey(t, e, token, "ci")
			admin := adminToken(e)
			path := idPath("/api/users/", alice.ID)
			r := e.Do(tt.method, path, tt.body, authHeader(admin)...)
			if r.Status != 200 || r.JSON(t)["text"] != "OK" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			wantLoggedOut(t, e, token)
			if _, err := e.App.Sessions.Lookup(context.Background(), store.Digest(token)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the session is still stored: %v", err)
			}
			wantLoggedOut(t, e, key)
			wantError(t, e.Do("POST", "/api/sessions", map[string]any{"login": "alice", "dev_key": key}), 403, wrongText)
			wantError(t, e.Do("POST", "/api/sessions", map[string]any{"login": "alice", "password": "pw-alice"}), 403, wrongText)
			wantLoggedIn(t, e, admin, "admin")
			if tt.method == "DELETE" {
				wantError(t, e.Do("GET", path, nil, authHeader(admin)...), 404, "Not Found")
				wantError(t, e.Do("DELETE", path, nil, authHeader(admin)...), 404, "Not Found")
				if _, err := e.App.SQL.GetDevKey(context.Background(), keyID); err == nil {
					t.Fatal("the dev_key outlived its user")
				}
				// a new user under the same login gets nothing of the old one
				e.AddUser("alice", "pw-alice2", false)
				wantLoggedOut(t, e, key)
				return
			}
			if u := getUser(t, e, alice.ID); u["disabled"] != float64(1) {
				t.Fatalf("%v", u)
			}
			// the sessions ended, not just paused: enabling again does not revive them
			if r := e.Do("PUT", path, map[string]any{"disabled": 0}, authHeader(admin)...); r.Status != 200 {
				t.Fatalf("enable: %d %s", r.Status, r.Body)
			}
			wantLoggedOut(t, e, token)
			wantLoggedIn(t, e, e.Login("alice", "pw-alice"), "alice")
		})
	}
	t.Run("non-admin deletes", func(t *testing.T) {
		t.Parallel()
		e := apptest.New(t)
		alice := e.AddUser("alice", "pw-alice", false)
		bob := e.AddUser("bob", "pw-bob", false)
		token := e.Login("alice", "pw-alice")
		wantError(t, e.Do("DELETE", idPath("/api/users/", bob.ID), nil, authHeader(token)...), 403, "Forbidden")
		wantError(t, e.Do("DELETE", idPath("/api/users/", alice.ID), nil, authHeader(token)...), 403, "Forbidden")
		wantLoggedIn(t, e, token, "alice")
	})
}

func TestLastSuperAdmin(t *testing.T) {
	const text = "The last enabled super admin cannot be disabled or deleted"
	tests := []struct {
		name string
		// setup adds other users and returns the token of the admin acting;
		// nil: the first admin acts alone.
		setup  func(t *testing.T, e *apptest.Env) string
		method string
		body   any
		status int
	}{
		{"disable the only admin", nil, "PUT", map[string]any{"disabled": 1}, 409},
		{"demote the only admin", nil, "PUT", map[string]any{"is_super": 0}, 409},
		{"delete the only admin", nil, "DELETE", nil, 409},
		{"delete the only enabled admin beside a disabled one", func(t *testing.T, e *apptest.Env) string {
			e.AddUser("root2", "pw-root2", true)
			disable(t, e, "root2")
			return adminToken(e)
		}, "DELETE", nil, 409},
		{"disable the only enabled admin beside a disabled one", func(t *testing.T, e *apptest.Env) string {
			e.AddUser("root2", "pw-root2", true)
			disable(t, e, "root2")
			return adminToken(e)
		}, "PUT", map[string]any{"disabled": 1}, 409},
		{"disable with an enabled second admin", func(t *testing.T, e *apptest.Env) string {
			e.AddUser("root", "pw-root", true)
			return e.Login("root", "pw-root")
		}, "PUT", map[string]any{"disabled": 1}, 200},
		{"delete with an enabled second admin", func(t *testing.T, e *apptest.Env) string {
			e.AddUser("root", "pw-root", true)
			return e.Login("root", "pw-root")
		}, "DELETE", nil, 200},
		{"delete oneself with an enabled second admin", func(t *testing.T, e *apptest.Env) string {
			e.AddUser("root", "pw-root", true)
			return adminToken(e)
		}, "DELETE", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			token := adminToken(e)
			if tt.setup != nil {
				token = tt.setup(t, e)
			}
			r := e.Do(tt.method, "/api/users/1", tt.body, authHeader(token)...)
			if tt.status == 409 {
				wantError(t, r, 409, text)
				if u := getUser(t, e, 1); u["is_super"] != float64(1) || u["disabled"] != float64(0) {
					t.Fatalf("changed: %v", u)
				}
				return
			}
			if r.Status != tt.status || r.JSON(t)["code"] != float64(tt.status) {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
}

func TestBodylessRequestsWithContentType(t *testing.T) {
	tests := []struct {
		method string
		path   func(alice, key int64) string
	}{
		{"GET", func(int64, int64) string { return "/api/users/me" }},
		{"GET", func(int64, int64) string { return "/api/users" }},
		{"GET", func(alice, _ int64) string { return idPath("/api/users/", alice) }},
		{"GET", func(int64, int64) string { return "/api/dev_keys" }},
		{"DELETE", func(_, key int64) string { return idPath("/api/dev_keys/", key) }},
		{"DELETE", func(alice, _ int64) string { return idPath("/api/users/", alice) }},
		{"DELETE", func(int64, int64) string { return "/api/sessions" }},
	}
	for _, ct := range []string{"text/plain", "application/json", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"} {
		for _, tt := range tests {
			t.Run(ct+" "+tt.method+" "+tt.path(2, 1), func(t *testing.T) {
				t.Parallel()
				e := apptest.New(t)
				alice := e.AddUser("alice", "pw-alice", false)
				admin := adminToken(e)
				keyID, _ := newDevKey(t, e, admin, "ci")
				r := e.Do(tt.method, tt.path(alice.ID, keyID), nil, "Content-Type", ct, "X-XTRA-AUTH-ID", admin)
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
			})
		}
	}
}

// A tenant_id that names no tenant is the client's mistake: 400, and
// nothing written.
func TestUserUnknownTenant(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	admin := adminToken(e)
	r := e.Do("POST", "/api/users", map[string]any{"login": "x", "password": "p", "tenant_id": 99}, authHeader(admin)...)
	wantError(t, r, 400, "tenant_id 99 does not exist")
	if _, err := e.App.Accounts.UserByLogin(context.Background(), "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("user created anyway: %v", err)
	}
	r = e.Do("PUT", "/api/users/1", map[string]any{"tenant_id": 99}, authHeader(admin)...)
	wantError(t, r, 400, "tenant_id 99 does not exist")

	acme, err := e.App.SQL.CreateTenant(context.Background(), store.Tenant{Code: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	r = e.Do("POST", "/api/users", map[string]any{"login": "y", "password": "p", "tenant_id": acme.ID}, authHeader(admin)...)
	if r.Status != 200 || r.JSON(t)["data"].(map[string]any)["tenant_id"] != float64(acme.ID) {
		t.Fatalf("user in an existing tenant: %d %s", r.Status, r.Body)
	}
}

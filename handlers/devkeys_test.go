package handlers_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
)

var devKeyFormat = regexp.MustCompile(`^[0-9]{10}[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// listKeys returns the dev_key list the token sees at path.
func listKeys(t testing.TB, e *apptest.Env, token, path string) []map[string]any {
	t.Helper()
	r := e.Do("GET", path, nil, authHeader(token)...)
	m := r.JSON(t)
	data, ok := m["data"].([]any)
	if r.Status != 200 || !ok || m["code"] != float64(200) || m["rowCount"] != float64(len(data)) || m["page"] != float64(1) || len(m) != 4 {
		t.Fatalf("%s: %d %s", path, r.Status, r.Body)
	}
	out := make([]map[string]any, len(data))
	for i, d := range data {
		out[i] = d.(map[string]any)
	}
	return out
}

func TestDevKeyCreate(t *testing.T) {
	tests := []struct {
		name   string
		body   any
		status int
		label  string // for 200
		text   string // for errors
	}{
		{"JSON", map[string]any{"label": "ci"}, 200, "ci", ""},
		{"form", "label=ci", 200, "ci", ""},
		{"no label", map[string]any{}, 200, "", ""},
		{"label of 255 bytes", map[string]any{"label": strings.Repeat("l", 255)}, 200, strings.Repeat("l", 255), ""},
		{"label over 255 bytes", map[string]any{"label": strings.Repeat("l", 256)}, 400, "", "label is longer than 255 bytes"},
		{"label is an object", jsonWithType{`{"label":{}}`, "application/json"}, 400, "", "Malformed Body"},
		{"text/plain", jsonWithType{`{"label":"ci"}`, "text/plain"}, 415, "", "Unsupported Media Type: send application/json or application/x-www-form-urlencoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			token := adminToken(e)
			var r apptest.Response
			if b, ok := tt.body.(jsonWithType); ok {
				r = e.Do("POST", "/api/dev_keys", b.body, "Content-Type", b.contentType, "X-XTRA-AUTH-ID", token)
			} else {
				r = e.Do("POST", "/api/dev_keys", tt.body, authHeader(token)...)
			}
			if tt.status != 200 {
				wantError(t, r, tt.status, tt.text)
				if keys := listKeys(t, e, token, "/api/dev_keys"); len(keys) != 0 {
					t.Fatalf("a key was made: %v", keys)
				}
				return
			}
			m := r.JSON(t)
			data, _ := m["data"].(map[string]any)
			key, _ := data["dev_key"].(string)
			if !devKeyFormat.MatchString(key) {
				t.Fatalf("dev_key %q has not the seed's format", key)
			}
			if unix := strconv.FormatInt(e.Clock.Now().Unix(), 10); !strings.HasPrefix(key, unix) {
				t.Fatalf("dev_key %q does not start with the time %s", key, unix)
			}
			wantBody(t, r, 200, map[string]any{"code": 200, "data": map[string]any{
				"id": data["id"], "label": tt.label, "dev_key": key, "created_at": rfc3339(e.Clock.Now()),
			}})
			if id, ok := data["id"].(float64); !ok || id < 1 {
				t.Fatalf("id %v", data["id"])
			}
			wantLoggedIn(t, e, key, "admin")
		})
	}
	t.Run("keys differ", func(t *testing.T) {
		t.Parallel()
		e := apptest.New(t)
		token := adminToken(e)
		_, a := newDevKey(t, e, token, "a")
		_, b := newDevKey(t, e, token, "b")
		if a == b {
			t.Fatal("same key twice")
		}
	})
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		e := apptest.New(t)
		wantError(t, e.Do("POST", "/api/dev_keys", map[string]any{"label": "ci"}), 401, "Not Authorized")
	})
}

func TestDevKeyList(t *testing.T) {
	e := apptest.New(t)
	alice := e.AddUser("alice", "pw-alice", false)
	aliceToken, admin := e.Login("alice", "pw-alice"), adminToken(e)
	created := e.Clock.Now()
	id, key := newDevKey(t, e, aliceToken, "ci")
	newDevKey(t, e, admin, "admin's")

	keys := listKeys(t, e, aliceToken, "/api/dev_keys")
	want := []any{map[string]any{"id": id, "label": "ci", "prefix": key[:18], "created_at": rfc3339(created), "last_used_at": nil}}
	if got := normalize(t, keys); !equalJSON(t, got, want) {
		t.Fatalf("list %v, want %v", got, want)
	}
	r := e.Do("GET", "/api/dev_keys", nil, authHeader(aliceToken)...)
	if strings.Contains(string(r.Body), key[18:]) {
		t.Fatalf("the list shows the key: %s", r.Body)
	}

	t.Run("last_used_at after use as a token", func(t *testing.T) {
		e.Advance(time.Hour)
		wantLoggedIn(t, e, key, "alice")
		if got := listKeys(t, e, aliceToken, "/api/dev_keys")[0]["last_used_at"]; got != rfc3339(e.Clock.Now()) {
			t.Fatalf("last_used_at %v, want %s", got, rfc3339(e.Clock.Now()))
		}
	})
	t.Run("last_used_at after a dev_key login", func(t *testing.T) {
		e.Advance(time.Hour)
		r := e.Do("POST", "/api/sessions", "login=alice&dev_key="+key)
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if got := listKeys(t, e, aliceToken, "/api/dev_keys")[0]["last_used_at"]; got != rfc3339(e.Clock.Now()) {
			t.Fatalf("last_used_at %v, want %s", got, rfc3339(e.Clock.Now()))
		}
	})

	aliceID := strconv.FormatInt(alice.ID, 10)
	tests := []struct {
		name   string
		token  string
		query  string
		status int
		labels []string
	}{
		{"own", aliceToken, "", 200, []string{"ci"}},
		{"own by user_id", aliceToken, "?user_id=" + aliceID, 200, []string{"ci"}},
		{"admin's own", admin, "", 200, []string{"admin's"}},
		{"admin lists alice's", admin, "?user_id=" + aliceID, 200, []string{"ci"}},
		{"admin lists a user without keys", admin, "?user_id=9999", 200, []string{}},
		{"alice lists admin's", aliceToken, "?user_id=1", 403, nil},
		{"malformed user_id", admin, "?user_id=abc", 400, nil},
		{"dev_key as token", key, "", 200, []string{"ci"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.status == 403 {
				wantError(t, e.Do("GET", "/api/dev_keys"+tt.query, nil, authHeader(tt.token)...), 403, "Forbidden")
				return
			}
			if tt.status == 400 {
				wantError(t, e.Do("GET", "/api/dev_keys"+tt.query, nil, authHeader(tt.token)...), 400, "user_id must be a positive integer")
				return
			}
			labels := []string{}
			for _, k := range listKeys(t, e, tt.token, "/api/dev_keys"+tt.query) {
				labels = append(labels, k["label"].(string))
				if len(k) != 5 {
					t.Fatalf("key fields %v", k)
				}
			}
			if strings.Join(labels, ",") != strings.Join(tt.labels, ",") {
				t.Fatalf("labels %v, want %v", labels, tt.labels)
			}
		})
	}
}

func equalJSON(t testing.TB, a, b any) bool {
	return mustJSON(t, normalize(t, a)) == mustJSON(t, normalize(t, b))
}

func TestDevKeyCreateForAnother(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		status int
	}{
		{"admin for alice", "admin", 200},
		{"bob for alice", "bob", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			alice := e.AddUser("alice", "pw-alice", false)
			e.AddUser("bob", "pw-bob", false)
			token := adminToken(e)
			if tt.as == "bob" {
				token = e.Login("bob", "pw-bob")
			}
			r := e.Do("POST", "/api/dev_keys", map[string]any{"label": "for alice", "user_id": alice.ID}, authHeader(token)...)
			if tt.status != 200 {
				wantError(t, r, tt.status, "Forbidden")
				if keys := listKeys(t, e, e.Login("alice", "pw-alice"), "/api/dev_keys"); len(keys) != 0 {
					t.Fatalf("alice has keys %v", keys)
				}
				return
			}
			key := r.JSON(t)["data"].(map[string]any)["dev_key"].(string)
			wantLoggedIn(t, e, key, "alice")
		})
	}
}

func TestDevKeyDelete(t *testing.T) {
	tests := []struct {
		name   string
		as     string // who deletes
		owner  string // whose key
		status int
		text   string
	}{
		{"own key", "alice", "alice", 200, "OK"},
		{"admin deletes alice's key", "admin", "alice", 200, "OK"},
		{"bob deletes alice's key", "bob", "alice", 404, "Not Found"},
		{"alice deletes admin's key", "alice", "admin", 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			e.AddUser("alice", "pw-alice", false)
			e.AddUser("bob", "pw-bob", false)
			tokens := map[string]string{"admin": adminToken(e), "alice": e.Login("alice", "pw-alice"), "bob": e.Login("bob", "pw-bob")}
			id, key := newDevKey(t, e, tokens[tt.owner], "ci")
			_, other := newDevKey(t, e, tokens[tt.owner], "other")
			r := e.Do("DELETE", idPath("/api/dev_keys/", id), nil, authHeader(tokens[tt.as])...)
			if tt.status != 200 {
				wantError(t, r, tt.status, tt.text)
				wantLoggedIn(t, e, key, tt.owner)
				return
			}
			wantBody(t, r, 200, map[string]any{"code": 200, "text": "OK"})
			wantLoggedOut(t, e, key)
			wantError(t, e.Do("POST", "/api/sessions", map[string]any{"login": tt.owner, "dev_key": key}), 403, wrongText)
			wantLoggedIn(t, e, other, tt.owner)
			if keys := listKeys(t, e, tokens[tt.owner], "/api/dev_keys"); len(keys) != 1 || keys[0]["label"] != "other" {
				t.Fatalf("keys left %v", keys)
			}
			// again: gone
			wantError(t, e.Do("DELETE", idPath("/api/dev_keys/", id), nil, authHeader(tokens[tt.as])...), 404, "Not Found")
		})
	}
	t.Run("unknown and malformed ids", func(t *testing.T) {
		t.Parallel()
		e := apptest.New(t)
		token := adminToken(e)
		for _, id := range []string{"9999", "abc", "0", "-1"} {
			wantError(t, e.Do("DELETE", "/api/dev_keys/"+id, nil, authHeader(token)...), http.StatusNotFound, "Not Found")
		}
	})
}

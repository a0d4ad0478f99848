package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"xtraauth/app/apptest"
	"xtraauth/handlers"
)

const (
	mediaText    = "Unsupported Media Type: send application/json or application/x-www-form-urlencoded"
	tooLargeText = "Request Entity Too Large"
)

// padJSON is a login body of exactly n bytes (spaces pad the JSON).
func padJSON(n int, login, password string) string {
	b := `{"login":"` + login + `","password":"` + password + `"}`
	return b + strings.Repeat(" ", n-len(b))
}

// padForm is a form login body of exactly n bytes (a pad field fills it).
func padForm(n int, login, password string) string {
	b := "login=" + login + "&password=" + password + "&pad="
	return b + strings.Repeat("x", n-len(b))
}

func TestDecodeBody(t *testing.T) {
	const max = handlers.MaxBodyBytes
	if max != 64<<10 {
		t.Fatalf("MaxBodyBytes %d, want 64 KiB", max)
	}
	tests := []struct {
		name        string
		contentType string // "-" sends none
		body        string
		chunked     bool // hide the length: no Content-Length header
		status      int
		text        string
	}{
		{"text/plain", "text/plain", `{"login":"admin","password":"x"}`, false, 415, mediaText},
		{"no content type", "-", `{"login":"admin","password":"x"}`, false, 415, mediaText},
		{"no content type, no body", "-", "", false, 415, mediaText},
		{"multipart", "multipart/form-data; boundary=x", "--x--", false, 415, mediaText},
		{"415 before 413", "text/plain", padJSON(max+1, "admin", "x"), false, 415, mediaText},
		{"415 before 413 chunked", "text/plain", padJSON(max+1, "admin", "x"), true, 415, mediaText},
		{"JSON over 64 KiB", "application/json", padJSON(max+1, "admin", "x"), false, 413, tooLargeText},
		{"JSON over 64 KiB chunked", "application/json", padJSON(max+1, "admin", "x"), true, 413, tooLargeText},
		{"form over 64 KiB", "application/x-www-form-urlencoded", padForm(max+1, "admin", "x"), false, 413, tooLargeText},
		{"form over 64 KiB chunked", "application/x-www-form-urlencoded", padForm(max+1, "admin", "x"), true, 413, tooLargeText},
		{"413 before 400", "application/json", "[" + strings.Repeat(" ", max), false, 413, tooLargeText},
		{"413 before 400 chunked", "application/json", "[" + strings.Repeat(" ", max), true, 413, tooLargeText},
		{"JSON of exactly 64 KiB", "application/json", padJSON(max, "admin", "x"), false, 403, wrongText},
		{"JSON of exactly 64 KiB chunked", "application/json", padJSON(max, "admin", "x"), true, 403, wrongText},
		{"form of exactly 64 KiB", "application/x-www-form-urlencoded", padForm(max, "admin", "x"), false, 403, wrongText},
		{"malformed JSON", "application/json", `{"login":`, false, 400, "Malformed Body"},
		{"JSON array", "application/json", `[]`, false, 400, "Malformed Body"},
		{"JSON null", "application/json", `null`, false, 400, "login is required"},
		{"JSON number", "application/json", `1007`, false, 400, "Malformed Body"},
		{"two JSON objects", "application/json", `{"login":"admin"}{"password":"x"}`, false, 400, "Malformed Body"},
		{"JSON with upper-case type", "Application/JSON", `{"login":"admin","password":"x"}`, false, 403, wrongText},
		{"form with charset", "application/x-www-form-urlencoded; charset=utf-8", "login=admin&password=x", false, 403, wrongText},
		{"form with a semicolon", "application/x-www-form-urlencoded", "login=admin;password=x", false, 400, "Malformed Body"},
		{"form with a bare key", "application/x-www-form-urlencoded", "login=admin&password", false, 400, "password or dev_key is required"},
		{"unknown JSON fields ignored", "application/json", `{"login":"admin","password":"x","extra":[1,{}]}`, false, 403, wrongText},
		{"unknown form fields ignored", "application/x-www-form-urlencoded", "login=admin&password=x&_t=1", false, 403, wrongText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(strings.NewReader(tt.body)) // unknown length: sent chunked
			}
			req, err := http.NewRequest("POST", e.Server.URL+"/api/sessions", body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.chunked && req.ContentLength != 0 {
				t.Fatalf("ContentLength %d, want unknown", req.ContentLength)
			}
			if tt.contentType != "-" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			res, err := e.Server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			wantError(t, apptest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}, tt.status, tt.text)
		})
	}
}

// FuzzDecodeLogin sends arbitrary JSON and form bodies to POST
// /api/sessions: the server must neither panic (the connection would drop)
// nor answer 500, and every answer must be JSON in the contract's shape.
func FuzzDecodeLogin(f *testing.F) {
	seeds := []struct {
		form bool
		body string
	}{
		{true, "login=1007&password=$VeryGoodPassw0rd"},
		{true, "login=1007&dev_key=1547798578ed48b611-44e0-45ac-9642-92510e357811"},
		{true, "username=admin&password=admin-password&captcha_str=dOnW&captcha_id=42"},
		{true, "login=%zz"},
		{true, "login=a&login=b"},
		{true, "a=1;b=2&&&=&=="},
		{false, `{"login": "1007", "password": "$VeryGoodPassw0rd"}`},
		{false, `{"login":1007,"password":"x"}`},
		{false, `{"login":1e400,"password":"x"}`},
		{false, `{"login":-0.0,"dev_key":null}`},
		{false, `{"login":"admin","password":"admin-password"}`},
		{false, `{"login":"ADMIN","password":"wrong","captcha_id":99999999999999999999}`},
		{false, `{"login":{"$ne":null},"password":[]}`},
		{false, `{"login":"\u0000","password":"\ud800"}`},
		{false, `[1,2,3]`},
		{false, `nul`},
		{false, "\xff\xfe{}"},
		{false, `{"login":"a","password":"b"` + strings.Repeat(`,"x":1`, 100) + `}`},
		{false, ""},
	}
	for _, s := range seeds {
		f.Add(s.form, []byte(s.body))
	}
	e := apptest.New(f)
	client := e.Server.Client()
	f.Fuzz(func(t *testing.T, form bool, body []byte) {
		ct := "application/json"
		if form {
			ct = "application/x-www-form-urlencoded"
		}
		req, err := http.NewRequest("POST", e.Server.URL+"/api/sessions", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("request failed (a panic drops the connection): %v", err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", res.StatusCode, body, raw)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("status %d, body %q is no JSON object: %v", res.StatusCode, raw, err)
		}
		if m["code"] != float64(res.StatusCode) {
			t.Fatalf("code %v in a %d answer: %s", m["code"], res.StatusCode, raw)
		}
		switch res.StatusCode {
		case 200:
			if tk, _ := m["token"].(string); !uuidV4.MatchString(tk) {
				t.Fatalf("200 without a token: %s", raw)
			}
		case 400, 403, 413, 429:
			if s, _ := m["text"].(string); s == "" || m["message"] != s {
				t.Fatalf("error shape: %s", raw)
			}
		default:
			t.Fatalf("unexpected status %d: %s", res.StatusCode, raw)
		}
	})
}

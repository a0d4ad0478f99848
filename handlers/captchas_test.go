package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
)

func TestCaptchaCreate(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	e.AddUser("alice", alicePassword, false)
	tests := []struct {
		name, query string
		binding     string
		audio       bool
		mime        string
		magic       func([]byte) bool
	}{
		{"for a login", "?login=alice", "login:alice", false, "image/png", isPNG},
		{"login lower-cased", "?login=ALICE", "login:alice", false, "image/png", isPNG},
		{"for an unknown login", "?login=nobody", "login:nobody", false, "image/png", isPNG},
		{"for the address", "", "addr:127.0.0.1", false, "image/png", isPNG},
		{"empty login is the address", "?login=", "addr:127.0.0.1", false, "image/png", isPNG},
		{"audio", "?login=alice&type=audio", "login:alice", true, "audio/wav", isWAV},
		{"audio for the address", "?type=audio", "addr:127.0.0.1", true, "audio/wav", isWAV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do("GET", "/api/captchas"+tt.query, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			data, _ := r.JSON(t)["data"].(map[string]any)
			f, _ := data["captcha_id"].(float64)
			id := int64(f)
			if float64(id) != f || id < 1 || id > 1<<53-1 {
				t.Fatalf("captcha_id %v: want an integer in 1..2^53-1", data["captcha_id"])
			}
			pic := "/api/captchas/" + strconv.FormatInt(id, 10)
			// the whole body, in the seed's shape
			if !bytes.Contains(r.Body, []byte(`"captcha_id":`+strconv.FormatInt(id, 10)+`,`)) {
				t.Fatalf("captcha_id not written as an integer: %s", r.Body)
			}
			wantBody(t, r, 200, map[string]any{"message": "success", "code": 200,
				"data": map[string]any{"captcha_id": id, "pic_path": pic}})

			c, err := e.App.Eph.GetCaptcha(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Binding != tt.binding || c.Audio != tt.audio {
				t.Fatalf("stored as %+v, want binding %q audio %v", c, tt.binding, tt.audio)
			}
			if tt.audio && strings.Trim(c.Answer, "0123456789") != "" {
				t.Fatalf("audio answer %q is not digits", c.Answer)
			}

			p := e.Do("GET", pic, nil)
			if p.Status != http.StatusOK || p.Header.Get("Content-Type") != tt.mime || !tt.magic(p.Body) {
				t.Fatalf("GET %s: %d %q, %d bytes starting %q", pic, p.Status, p.Header.Get("Content-Type"), len(p.Body), p.Body[:min(len(p.Body), 12)])
			}
			if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", cc)
			}
		})
	}
}

func isPNG(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }

func isWAV(b []byte) bool { return len(b) > 44 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE" }

// TestCaptchaSameForUnknownLogins: the answer does not tell which logins
// exist.
func TestCaptchaSameForUnknownLogins(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	e.AddUser("alice", alicePassword, false)
	shape := func(login string) string {
		r := e.Do("GET", "/api/captchas?login="+login, nil)
		id := strconv.FormatInt(int64(r.JSON(t)["data"].(map[string]any)["captcha_id"].(float64)), 10)
		return strconv.Itoa(r.Status) + " " + r.Header.Get("Content-Type") + " " + strings.ReplaceAll(string(r.Body), id, "ID")
	}
	if known, unknown := shape("alice"), shape("nobody"); known != unknown {
		t.Fatalf("known login: %s\nunknown login: %s", known, unknown)
	}
}

func TestCaptchaGone(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, func(c *config.Config) { c.CaptchaTTL = time.Minute })
	e.AddUser("alice", alicePassword, false)
	notFound := func(t *testing.T, path string) {
		t.Helper()
		wantError(t, e.Do("GET", path, nil), 404, "Not Found")
	}
	t.Run("unknown or malformed id", func(t *testing.T) {
		for _, id := range []string{"1", "9007199254740991", "0", "-5", "abc", "1.5"} {
			notFound(t, "/api/captchas/"+id)
		}
	})
	t.Run("used up by a login", func(t *testing.T) {
		failLogin(t, e, "alice", 2)
		s := fetchCaptcha(t, e, "alice")
		wantOK(t, passwordLogin(e, "alice", alicePassword, s))
		notFound(t, "/api/captchas/"+s.id)
	})
	t.Run("used up by a wrong answer", func(t *testing.T) {
		failLogin(t, e, "alice", 2)
		s := fetchCaptcha(t, e, "alice")
		wantWrongCaptcha(t, passwordLogin(e, "alice", alicePassword, solved{id: s.id, answer: noAnswer}))
		notFound(t, "/api/captchas/"+s.id)
		wantWrongCaptcha(t, passwordLogin(e, "alice", alicePassword, s))
	})
	t.Run("expired after XTRA_CAPTCHA_TTL", func(t *testing.T) {
		s := fetchCaptcha(t, e, "alice")
		e.Advance(time.Minute - time.Second)
		if !captchaAlive(t, e, s) {
			t.Fatal("gone a second before its time")
		}
		e.Advance(time.Second)
		notFound(t, "/api/captchas/"+s.id)
	})
}

// TestCaptchaRateLimit: one address may make 60 captchas a minute.
func TestCaptchaRateLimit(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	for i := range 60 {
		query := "?login=alice"
		if i%2 == 1 {
			query = "?type=audio"
		}
		if r := e.Do("GET", "/api/captchas"+query, nil, xff("203.0.113.7")...); r.Status != http.StatusOK {
			t.Fatalf("captcha %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := e.Do("GET", "/api/captchas?login=alice", nil, xff("203.0.113.7")...)
	wantBody(t, r, 429, map[string]any{"code": 429, "text": "Too Many Requests", "message": "Too Many Requests", "retry_after": 60})
	if got := r.Header.Get("Retry-After"); got != "60" {
		t.Fatalf("Retry-After %q, want 60", got)
	}
	fetchCaptcha(t, e, "alice", xff("203.0.113.8")...) // another address
	e.Advance(time.Minute)
	fetchCaptcha(t, e, "alice", xff("203.0.113.7")...)
}

func TestCaptchaLoginTooLong(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	wantError(t, e.Do("GET", "/api/captchas?login="+strings.Repeat("a", 129), nil), 400, "login is too long")
	fetchCaptcha(t, e, strings.Repeat("a", 128))
}

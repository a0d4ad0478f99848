package handlers_test

import (
	"strings"
	"testing"

	"xtraauth/app/apptest"
	"xtraauth/config"
)

func TestMetrics(t *testing.T) {
	e := apptest.New(t)
	token := e.Login("admin", apptest.AdminPassword)
	e.Do("POST", "/api/sessions", map[string]string{"login": "admin", "password": "wrong"})
	e.Do("GET", "/api/users/1?access_token="+token, nil)
	e.Do("GET", "/api/captchas?login=admin", nil)
	for i := 0; i < 4; i++ {
		e.Do("POST", "/api/sessions", map[string]string{"login": "bob", "password": "wrong", "captcha_str": "x"})
	}

	r := e.Do("GET", "/metrics", nil)
	if r.Status != 200 {
		t.Fatalf("GET /metrics: %d", r.Status)
	}
	body := string(r.Body)
	for _, want := range []string{
		`xtraauth_logins_total{door="xswitch",outcome="success"} 1`,
		`xtraauth_logins_total{door="xswitch",outcome="wrong_credentials"} 3`,
		`xtraauth_logins_total{door="xswitch",outcome="wrong_captcha"} 2`,
		`xtraauth_http_requests_total{method="GET",route="/api/users/:id",status="200"} 1`,
		`xtraauth_captchas_created_total 1`,
		`xtraauth_password_hash_seconds_count`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, token) || strings.Contains(body, "/api/users/1") {
		t.Error("/metrics shows a raw path or a token")
	}
}

func TestMetricsCountLocks(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.CaptchaAfter = 0 })
	for i := 0; i < 6; i++ {
		e.Do("POST", "/api/sessions", map[string]string{"login": "bob", "password": "wrong"})
	}
	body := string(e.Do("GET", "/metrics", nil).Body)
	for _, want := range []string{`xtraauth_locks_total 1`, `xtraauth_logins_total{door="xswitch",outcome="locked"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

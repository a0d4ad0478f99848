package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/store"
)

// The tests in this file replay, one class at a time, what a security
// review did to a live instance, and assert each fix.

// A form another port or subdomain of the same site posts carries the
// dms-token cookie (SameSite=Lax), and the JWT works on /api routes: a
// state change made with it alone must be refused like one made with the
// web page's cookie.
func TestCSRFThroughTheDMSCookie(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	jwt := fdDMSLogin(t, e, "admin", apptest.AdminPassword)
	form := "login=mallory&name=Mallory&password=mallory-password&is_super=1"
	for _, cookie := range []string{"dms-token=" + jwt, "xtra-session=" + e.Login("admin", apptest.AdminPassword)} {
		r := e.Do("POST", "/api/users", form, "Cookie", cookie)
		wantError(t, r, http.StatusForbidden, "Forbidden: send X-Requested-With: XMLHttpRequest with a cookie")
	}
	if _, err := e.App.Accounts.UserByLogin(t.Context(), "mallory"); err == nil {
		t.Fatal("a form post made a user")
	}
	r := e.Do("POST", "/api/users", form, fdCookieXHR(jwt)...)
	wantOK(t, r)
}

// Made-up HTTP methods become "other" in metrics and logs, so they cannot
// make new series or fill the log.
func TestUnknownMethodsAreOther(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	long := strings.Repeat("X", 1000)
	for i := range 30 {
		status, _, err := rawDo(e, fmt.Sprintf("XMETH%d%s", i, long), "/api/users", nil)
		if err != nil || status != http.StatusMethodNotAllowed {
			t.Fatalf("made-up method: %d %v", status, err)
		}
	}
	body := string(e.Do("GET", "/metrics", nil).Body)
	if strings.Contains(body, "XMETH") || strings.Contains(e.Log.String(), "XMETH") {
		t.Fatal("a made-up method is in /metrics or the log")
	}
	if want := `xtraauth_http_requests_total{method="other",route="/api/users",status="405"} 30`; !strings.Contains(body, want) {
		t.Fatalf("/metrics lacks %s", want)
	}
}

// Simultaneous wrong passwords for many logins from one address: the
// address is counted before the passwords are checked, as each login is,
// so no more than its limit (20) are checked without a captcha.
func TestSprayingLimitHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	for _, b := range stormBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			servers := startServers(t, b, 2)
			bodies := make([]map[string]string, 2*stormSize)
			for i := range bodies {
				bodies[i] = map[string]string{"login": fmt.Sprintf("user%d", i), "password": badPassword}
			}
			count := tally(storm(t, servers, bodies))
			if count[answerWrong] != 20 || count[answerCaptchaRequired] != len(bodies)-20 {
				t.Fatalf("answers %v: want 20 passwords checked, the rest asked for a captcha", count)
			}
			// from now on every password login from the address needs one
			servers[0].AddUser("alice", alicePassword, false)
			wantCaptchaRequired(t, passwordLogin(servers[0], "alice", alicePassword, solved{}))
		})
	}
}

// Answers that cost nothing ("Captcha Required", "Wrong Captcha", a wrong
// secret for a made-up client id) add audit rows at a bounded rate.
func TestFreeAuditRowsAreBounded(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	failLogin(t, e, "alice", 2)
	for range 100 {
		wantCaptchaRequired(t, passwordLogin(e, "alice", badPassword, solved{}))
		wantWrongCaptcha(t, passwordLogin(e, "alice", badPassword, solved{answer: "nope"}))
	}
	if n := len(auditRows(t, e, "alice", "captcha")); n != 2 {
		t.Fatalf("%d captcha rows for 200 refusals in a minute, want one per outcome", n)
	}
	for i := range 100 {
		fdOAuthError(t, e.Do("POST", "/oauth2/token", "grant_type=client_credentials",
			fdBasic(fmt.Sprintf("made-up-%d", i), "wrong")...), http.StatusUnauthorized, "invalid_client")
	}
	events, total, err := e.App.SQL.ListAuditEvents(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	clientRows := 0
	for _, ev := range events {
		if ev.Kind == "client_secret" {
			clientRows++
		}
	}
	if clientRows != 20-2 || total > 30 {
		t.Fatalf("%d client rows, %d in all: want the address's 20 a minute, the two captcha rows among them", clientRows, total)
	}
	// a minute later the limits start again
	e.Advance(time.Minute)
	wantCaptchaRequired(t, passwordLogin(e, "alice", badPassword, solved{}))
	if n := len(auditRows(t, e, "alice", "captcha")); n != 3 {
		t.Fatalf("%d captcha rows, want 3", n)
	}
}

// Audit events are kept XTRA_AUDIT_RETENTION (90 days), then pruned.
func TestAuditRetention(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	failLogin(t, e, "old", 1)
	e.Advance(60 * 24 * time.Hour)
	failLogin(t, e, "new", 1)
	e.Advance(31 * 24 * time.Hour)
	n, err := e.App.PruneAudit(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the one older than 90 days", n, err)
	}
	if len(auditRows(t, e, "old", "")) != 0 || len(auditRows(t, e, "new", "")) != 1 {
		t.Fatal("the wrong rows were pruned")
	}
}

// Anyone may make a captcha for any login, but it does not replace the
// one a person is answering from their own address: the person's answer,
// sent without captcha_id, still solves their captcha.
func TestCaptchaHijack(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	e.AddUser("alice", alicePassword, false)
	const person, stranger = "198.51.100.7", "203.0.113.9"
	failLogin(t, e, "alice", 2, xff(person)...)
	mine := fetchCaptcha(t, e, "alice", xff(person)...)
	for range 5 {
		fetchCaptcha(t, e, "alice", xff(stranger)...)
	}
	wantOK(t, passwordLogin(e, "alice", alicePassword, solved{answer: mine.answer}, xff(person)...))
}

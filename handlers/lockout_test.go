package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store"
)

// Helpers of the lockout and captcha tests. They build on the shared ones
// of sessions_test.go (wantBody, wantError, errBody, authHeader, ...).

const (
	alicePassword = "Alice-Passw0rd"
	badPassword   = "not-the-password"
	// noAnswer is never a captcha's answer: '0' is in no image alphabet.
	noAnswer = "0000"
)

// solved is a captcha sent with a login; the zero value sends none.
type solved struct{ id, answer string }

// fetchCaptcha asks the API for a captcha for login (for the client
// address when login is empty) and reads its answer from the ephemeral
// store, as only a test can.
func fetchCaptcha(t testing.TB, e *apptest.Env, login string, headers ...string) solved {
	t.Helper()
	path := "/api/captchas"
	if login != "" {
		path += "?login=" + url.QueryEscape(login)
	}
	r := e.Do("GET", path, nil, headers...)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var body struct {
		Data struct {
			CaptchaID int64 `json:"captcha_id"`
		}
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	c, err := e.App.Eph.GetCaptcha(context.Background(), body.Data.CaptchaID)
	if err != nil {
		t.Fatalf("captcha %d: %v", body.Data.CaptchaID, err)
	}
	return solved{id: strconv.FormatInt(body.Data.CaptchaID, 10), answer: c.Answer}
}

// captchaAlive reports whether the captcha's picture is still served,
// that is whether it was not used up.
func captchaAlive(t testing.TB, e *apptest.Env, s solved) bool {
	t.Helper()
	r := e.Do("GET", "/api/captchas/"+s.id, nil)
	switch r.Status {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	}
	t.Fatalf("GET captcha %s: %d %s", s.id, r.Status, r.Body)
	return false
}

// passwordLogin posts a password login, with a captcha if s has one.
func passwordLogin(e *apptest.Env, login, password string, s solved, headers ...string) apptest.Response {
	body := map[string]string{"login": login, "password": password}
	if s.id != "" {
		body["captcha_id"] = s.id
	}
	if s.answer != "" {
		body["captcha_str"] = s.answer
	}
	return e.Do("POST", "/api/sessions", body, headers...)
}

func devKeyLogin(e *apptest.Env, login, key string, headers ...string) apptest.Response {
	return e.Do("POST", "/api/sessions", map[string]string{"login": login, "dev_key": key}, headers...)
}

func lockedBody(seconds int64) map[string]any {
	const text = "Too Many Failed Attempts"
	return map[string]any{"code": 429, "text": text, "message": text, "retry_after": seconds}
}

func wantWrong(t testing.TB, r apptest.Response) { t.Helper(); wantError(t, r, 403, wrongText) }

func wantCaptchaRequired(t testing.TB, r apptest.Response) {
	t.Helper()
	wantBody(t, r, 403, map[string]any{"code": 403, "text": "Captcha Required", "message": "Captcha Required", "captcha_required": true})
}

func wantWrongCaptcha(t testing.TB, r apptest.Response) {
	t.Helper()
	wantBody(t, r, 403, map[string]any{"code": 403, "text": "Wrong Captcha", "message": "Wrong Captcha", "captcha_required": true})
}

// wantLocked checks a 429 for a lock: its body and its Retry-After header.
func wantLocked(t testing.TB, r apptest.Response, seconds int64) {
	t.Helper()
	wantBody(t, r, http.StatusTooManyRequests, lockedBody(seconds))
	if got := r.Header.Get("Retry-After"); got != strconv.FormatInt(seconds, 10) {
		t.Fatalf("Retry-After %q, want %d", got, seconds)
	}
}

func wantOK(t testing.TB, r apptest.Response) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.Status, r.Body)
	}
}

// failureCount is a login's count as the admins' list shows it.
func failureCount(t testing.TB, e *apptest.Env, login string) int {
	t.Helper()
	entries, err := e.App.Lockout.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Name == strings.ToLower(login) {
			return en.Failures
		}
	}
	return 0
}

// failLogin makes n wrong password attempts for login, each with a fresh
// captcha when one is needed, and checks that each is a plain failure.
func failLogin(t testing.TB, e *apptest.Env, login string, n int, headers ...string) {
	t.Helper()
	for range n {
		var s solved
		if after := e.App.Cfg.CaptchaAfter; after > 0 && failureCount(t, e, login) >= after {
			s = fetchCaptcha(t, e, login, headers...)
		}
		wantWrong(t, passwordLogin(e, login, badPassword, s, headers...))
	}
}

// auditRows lists the audit events of subject straight from SQL.
func auditRows(t testing.TB, e *apptest.Env, subject, kind string) []store.AuditEvent {
	t.Helper()
	events, _, err := e.App.SQL.ListAuditEvents(context.Background(), store.AuditFilter{Subject: subject, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(events, func(ev store.AuditEvent) bool { return kind != "" && ev.Kind != kind })
}

func xff(addr string) []string { return []string{"X-Forwarded-For", addr} }

func trustLocalProxy(c *config.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// TestLockoutStages walks a known and an unknown login through every stage
// and requires byte-identical answers for both.
func TestLockoutStages(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	e.AddUser("alice", alicePassword, false)
	form := func(fields ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(fields); i += 2 {
			v.Set(fields[i], fields[i+1])
		}
		return v.Encode()
	}
	type step struct {
		name  string
		do    func(login string) apptest.Response
		check func(testing.TB, apptest.Response)
	}
	locked := func(t testing.TB, r apptest.Response) { t.Helper(); wantLocked(t, r, 7200) }
	steps := []step{
		{"1st failure", func(l string) apptest.Response { return passwordLogin(e, l, badPassword, solved{}) }, wantWrong},
		{"2nd failure, form body", func(l string) apptest.Response {
			return e.Do("POST", "/api/sessions", form("login", l, "password", badPassword))
		}, wantWrong},
		{"no captcha", func(l string) apptest.Response { return passwordLogin(e, l, badPassword, solved{}) }, wantCaptchaRequired},
		{"right password, no captcha", func(l string) apptest.Response {
			return passwordLogin(e, l, alicePassword, solved{})
		}, wantCaptchaRequired},
		{"captcha_id with empty captcha_str", func(l string) apptest.Response {
			return passwordLogin(e, l, alicePassword, solved{id: fetchCaptcha(t, e, l).id})
		}, wantCaptchaRequired},
		{"wrong captcha", func(l string) apptest.Response {
			return passwordLogin(e, l, alicePassword, solved{id: fetchCaptcha(t, e, l).id, answer: noAnswer})
		}, wantWrongCaptcha},
		{"captcha made for another login", func(l string) apptest.Response {
			return passwordLogin(e, l, alicePassword, fetchCaptcha(t, e, "someone-else"))
		}, wantWrongCaptcha},
		{"expired captcha", func(l string) apptest.Response {
			s := fetchCaptcha(t, e, l)
			e.Advance(e.App.Cfg.CaptchaTTL)
			return passwordLogin(e, l, alicePassword, s)
		}, wantWrongCaptcha},
		{"3rd failure, right captcha", func(l string) apptest.Response {
			return passwordLogin(e, l, badPassword, fetchCaptcha(t, e, l))
		}, wantWrong},
		{"4th failure, form body, newest captcha without id, upper case", func(l string) apptest.Response {
			s := fetchCaptcha(t, e, l)
			return e.Do("POST", "/api/sessions", form("login", l, "password", badPassword, "captcha_str", strings.ToUpper(s.answer)))
		}, wantWrong},
		{"5th failure still a plain failure", func(l string) apptest.Response {
			return passwordLogin(e, l, badPassword, fetchCaptcha(t, e, l))
		}, wantWrong},
		{"right password and captcha while locked", func(l string) apptest.Response {
			return passwordLogin(e, l, alicePassword, fetchCaptcha(t, e, l))
		}, locked},
		{"right password while locked", func(l string) apptest.Response {
			return passwordLogin(e, l, alicePassword, solved{})
		}, locked},
		{"wrong password while locked", func(l string) apptest.Response {
			return passwordLogin(e, l, badPassword, solved{})
		}, locked},
	}
	answers := map[string][]string{}
	for _, login := range []string{"alice", "nobody"} {
		for _, st := range steps {
			r := st.do(login)
			t.Run(login+"/"+st.name, func(t *testing.T) { st.check(t, r) })
			answers[login] = append(answers[login], fmt.Sprintf("%d Retry-After=%q %s", r.Status, r.Header.Get("Retry-After"), r.Body))
		}
	}
	for i, st := range steps {
		if answers["alice"][i] != answers["nobody"][i] {
			t.Errorf("%s: known login got\n%s\nunknown login got\n%s", st.name, answers["alice"][i], answers["nobody"][i])
		}
	}
	// five passwords were looked at, no more: not the locked ones
	for _, login := range []string{"alice", "nobody"} {
		if n := len(auditRows(t, e, login, "password")); n != 5 {
			t.Errorf("%s: %d password failures audited, want 5", login, n)
		}
	}
}

// TestDoorsGoThroughTheGate: every door that checks a password counts in
// one place and answers the gate in its own shape. A failure at the door
// and one at another make it ask for a captcha; a wrong captcha is
// refused, a right one lets the right password in; five failures lock the
// login, at every door, with Retry-After.
func TestDoorsGoThroughTheGate(t *testing.T) {
	t.Parallel()
	// withCaptcha adds a captcha's fields to a body when s has them.
	withCaptcha := func(body map[string]string, s solved) map[string]string {
		if s.id != "" {
			body["captcha_id"] = s.id
		}
		if s.answer != "" {
			body["captcha_str"] = s.answer
		}
		return body
	}
	type user struct {
		e     *apptest.Env
		path  string // of the user
		token string // of a session of the user
	}
	xswitch := func(code int, text string, more ...any) map[string]any {
		body := errBody(code, text)
		for i := 0; i+1 < len(more); i += 2 {
			body[more[i].(string)] = more[i+1]
		}
		return body
	}
	dms := func(code int, text string, more ...any) map[string]any {
		body := map[string]any{"code": code, "message": text}
		for i := 0; i+1 < len(more); i += 2 {
			body[more[i].(string)] = more[i+1]
		}
		return body
	}
	type door struct {
		name string
		try  func(u user, password string, s solved) apptest.Response
		// wrongStatus and the bodies are the door's answers
		wrongStatus                          int
		wrong, captchaRequired, wrongCaptcha map[string]any
		locked                               map[string]any // for a lock of 7200 s
	}
	xswitchAnswers := func(d door) door {
		d.wrongStatus, d.wrong = 403, xswitch(403, wrongText)
		d.captchaRequired = xswitch(403, "Captcha Required", "captcha_required", true)
		d.wrongCaptcha = xswitch(403, "Wrong Captcha", "captcha_required", true)
		d.locked = xswitch(429, "Too Many Failed Attempts", "retry_after", 7200)
		return d
	}
	doors := []door{
		xswitchAnswers(door{name: "XSwitch", try: func(u user, password string, s solved) apptest.Response {
			return passwordLogin(u.e, "alice", password, s)
		}}),
		{name: "DMS", try: func(u user, password string, s solved) apptest.Response {
			session := withCaptcha(map[string]string{"username": "alice", "password": password}, s)
			return u.e.Do("POST", "/v1/dms/sessions", map[string]any{"session": session})
		},
			wrongStatus: 401, wrong: dms(401, wrongText),
			captchaRequired: dms(403, "Captcha Required", "captcha_required", true),
			wrongCaptcha:    dms(403, "Wrong Captcha", "captcha_required", true),
			locked:          dms(429, "Too Many Failed Attempts", "retry_after", 7200),
		},
		func() door {
			d := xswitchAnswers(door{name: "web page", try: func(u user, password string, s solved) apptest.Response {
				body := withCaptcha(map[string]string{"login": "alice", "password": password}, s)
				return u.e.Do("POST", "/web/session", body, xhr, "XMLHttpRequest")
			}})
			d.locked = xswitch(429, "Too Many Failed Attempts", "retry_after", 7200, "unlock_requests", true)
			return d
		}(),
		func() door {
			d := xswitchAnswers(door{name: "password change", try: func(u user, password string, s solved) apptest.Response {
				body := withCaptcha(map[string]string{"password": alicePassword, "old_password": password}, s)
				return u.e.Do("PUT", u.path, body, authHeader(u.token)...)
			}})
			d.wrong = xswitch(403, "Wrong Old Password")
			return d
		}(),
	}
	for i, here := range doors {
		other := doors[(i+1)%len(doors)]
		t.Run(here.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t)
			alice := e.AddUser("alice", alicePassword, false)
			u := user{e: e, path: "/api/users/" + strconv.FormatInt(alice.ID, 10), token: e.Login("alice", alicePassword)}
			wantBody(t, here.try(u, badPassword, solved{}), here.wrongStatus, here.wrong)
			wantBody(t, other.try(u, badPassword, solved{}), other.wrongStatus, other.wrong)
			wantBody(t, here.try(u, alicePassword, solved{}), 403, here.captchaRequired)
			wrong := solved{id: fetchCaptcha(t, e, "alice").id, answer: noAnswer}
			wantBody(t, here.try(u, alicePassword, wrong), 403, here.wrongCaptcha)
			if r := here.try(u, alicePassword, fetchCaptcha(t, e, "alice")); r.Status != http.StatusOK {
				t.Fatalf("right password and captcha: %d %s", r.Status, r.Body)
			}
			// that reset the count: five failures, with a captcha from the third
			for n := range 5 {
				var s solved
				if n >= 2 {
					s = fetchCaptcha(t, e, "alice")
				}
				wantBody(t, here.try(u, badPassword, s), here.wrongStatus, here.wrong)
			}
			for _, d := range []door{here, other} {
				r := d.try(u, alicePassword, fetchCaptcha(t, e, "alice"))
				wantBody(t, r, http.StatusTooManyRequests, d.locked)
				if got := r.Header.Get("Retry-After"); got != "7200" {
					t.Fatalf("%s while locked: Retry-After %q, want 7200", d.name, got)
				}
			}
		})
	}
}

// TestLockoutSettings: XTRA_CAPTCHA_AFTER, XTRA_LOCK_AFTER and
// XTRA_LOCK_FOR reach the gate, and Retry-After counts the lock down on
// the service's clock.
func TestLockoutSettings(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, func(c *config.Config) { c.CaptchaAfter, c.LockAfter, c.LockFor = 3, 4, 30*time.Minute })
	e.AddUser("alice", alicePassword, false)
	for range 3 {
		wantWrong(t, passwordLogin(e, "alice", badPassword, solved{}))
	}
	wantCaptchaRequired(t, passwordLogin(e, "alice", badPassword, solved{}))
	wantWrong(t, passwordLogin(e, "alice", badPassword, fetchCaptcha(t, e, "alice")))
	wantLocked(t, passwordLogin(e, "alice", alicePassword, fetchCaptcha(t, e, "alice")), 1800)
	e.Advance(20 * time.Minute)
	wantLocked(t, passwordLogin(e, "alice", alicePassword, solved{}), 600)
	e.Advance(10*time.Minute - time.Second)
	wantLocked(t, passwordLogin(e, "alice", alicePassword, solved{}), 1)
	e.Advance(time.Second)
	wantOK(t, passwordLogin(e, "alice", alicePassword, solved{}))
}

// TestDevKeyLockout: at the XSwitch door a dev_key gets in while its
// login is locked; wrong dev_keys answer like wrong passwords, and past 20
// from one address its dev_key logins get 429 with Retry-After, listed for
// admins as the address's entry.
func TestDevKeyLockout(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	alice := e.AddUser("alice", alicePassword, false)
	key, err := e.App.Accounts.CreateDevKey(context.Background(), alice.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	admin := adminToken(e)
	failLogin(t, e, "alice", 5)
	r := devKeyLogin(e, "Alice", key.Key)
	wantOK(t, r)
	wantLoggedIn(t, e, r.JSON(t)["token"].(string), "alice")

	attacker := xff("203.0.113.7")
	for i := range 20 {
		wantWrong(t, devKeyLogin(e, "alice", fmt.Sprintf("junk-%d", i), attacker...))
	}
	wantLocked(t, devKeyLogin(e, "alice", key.Key, attacker...), 600)
	wantOK(t, devKeyLogin(e, "alice", key.Key, xff("203.0.113.8")...))
	locks := e.Do("GET", "/api/locks", nil, authHeader(admin)...)
	data, _ := locks.JSON(t)["data"].([]any)
	for _, d := range data {
		if entry := d.(map[string]any); entry["login"] == "address:203.0.113.7" {
			if entry["failures"] != 20.0 || entry["captcha_required"] != false || entry["locked_until"] == nil {
				t.Fatalf("address entry %v", entry)
			}
			return
		}
	}
	t.Fatalf("locks %s: no entry for the address", locks.Body)
}

// TestForwardedFor: X-Forwarded-For decides the address only when the
// peer is a trusted proxy.
func TestForwardedFor(t *testing.T) {
	t.Parallel()
	t.Run("untrusted", func(t *testing.T) {
		e := apptest.New(t)
		e.AddUser("alice", alicePassword, false)
		for i := range 20 {
			wantWrong(t, passwordLogin(e, fmt.Sprintf("user%d", i), badPassword, solved{}, xff(fmt.Sprintf("203.0.113.%d", i+1))...))
		}
		wantCaptchaRequired(t, passwordLogin(e, "alice", alicePassword, solved{}, xff("198.51.100.1")...))
		if rows := auditRows(t, e, "user0", "password"); len(rows) != 1 || rows[0].Address != "127.0.0.1" {
			t.Fatalf("audit %+v, want one failure from 127.0.0.1", rows)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		e := apptest.New(t, trustLocalProxy)
		e.AddUser("alice", alicePassword, false)
		for i := range 20 {
			wantWrong(t, passwordLogin(e, fmt.Sprintf("user%d", i), badPassword, solved{}, xff("203.0.113.7")...))
		}
		wantOK(t, passwordLogin(e, "alice", alicePassword, solved{}, xff("203.0.113.8")...))
		wantOK(t, passwordLogin(e, "alice", alicePassword, solved{})) // the proxy itself
		wantCaptchaRequired(t, passwordLogin(e, "alice", alicePassword, solved{}, xff("203.0.113.7")...))
		// the rightmost hop outside the trusted ranges is the client
		wantCaptchaRequired(t, passwordLogin(e, "alice", alicePassword, solved{}, xff("198.51.100.9, 203.0.113.7")...))
		wantOK(t, passwordLogin(e, "alice", alicePassword, solved{}, xff("203.0.113.7, 198.51.100.9")...))
		// a captcha made for the address, through the proxy, solves
		s := fetchCaptcha(t, e, "", xff("203.0.113.7")...)
		wantOK(t, passwordLogin(e, "alice", alicePassword, s, xff("203.0.113.7")...))
		if rows := auditRows(t, e, "user0", "password"); len(rows) != 1 || rows[0].Address != "203.0.113.7" {
			t.Fatalf("audit %+v, want one failure from 203.0.113.7", rows)
		}
	})
}

// TestLocksAPI: admins list logins and addresses with failures, and lift
// a lock; others may not.
func TestLocksAPI(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	e.AddUser("alice", alicePassword, false)
	e.AddUser("bob", alicePassword, false)
	admin := adminToken(e)
	alice := e.Login("alice", alicePassword)
	failLogin(t, e, "Alice", 3)
	failLogin(t, e, "bob", 5)
	wantWrong(t, devKeyLogin(e, "alice", "junk"))

	r := e.Do("GET", "/api/locks", nil, authHeader(admin)...)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/locks: %d %s", r.Status, r.Body)
	}
	// locked_until is the service clock's now plus the lock's time left
	// (the store keeps a time to live, not an instant)
	var got struct {
		Data []struct {
			LockedUntil *int64 `json:"locked_until"`
		}
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != 3 || got.Data[2].LockedUntil == nil {
		t.Fatalf("GET /api/locks: %s", r.Body)
	}
	until := *got.Data[2].LockedUntil
	if want := e.Clock.Now().Add(2 * time.Hour).Unix(); until != want {
		t.Fatalf("bob locked until %d, want %d", until, want)
	}
	address := map[string]any{"login": "address:127.0.0.1", "failures": 1, "captcha_required": false, "locked_until": nil}
	aliceEntry := map[string]any{"login": "alice", "failures": 3, "captcha_required": true, "locked_until": nil}
	wantBody(t, r, 200, map[string]any{"code": 200, "rowCount": 3, "page": 1, "data": []any{
		address, aliceEntry,
		map[string]any{"login": "bob", "failures": 5, "captcha_required": true, "locked_until": until},
	}})
	wantError(t, e.Do("GET", "/api/locks", nil, authHeader(alice)...), 403, "Forbidden")
	wantError(t, e.Do("GET", "/api/locks", nil), 401, "Not Authorized")

	wantError(t, e.Do("DELETE", "/api/locks/bob", nil, authHeader(alice)...), 403, "Forbidden")
	wantError(t, e.Do("DELETE", "/api/locks/bob", nil), 401, "Not Authorized")
	wantLocked(t, passwordLogin(e, "bob", alicePassword, solved{}), 7200)
	wantBody(t, e.Do("DELETE", "/api/locks/BOB", nil, authHeader(admin)...), 200, map[string]any{"code": 200, "text": "OK"})
	wantOK(t, passwordLogin(e, "bob", alicePassword, solved{}))
	rows := auditRows(t, e, "bob", "unlock")
	if len(rows) != 1 || rows[0].Outcome != "by admin" {
		t.Fatalf("unlock audit %+v, want one row by admin", rows)
	}
	wantBody(t, e.Do("GET", "/api/locks", nil, authHeader(admin)...), 200,
		map[string]any{"code": 200, "data": []any{address, aliceEntry}, "rowCount": 2, "page": 1})
}

// TestUnlockEscapedNames: names that must be %-encoded in a path, such
// as logins with spaces or slashes and IPv6 address entries, are unlocked.
func TestUnlockEscapedNames(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy, func(c *config.Config) { c.CaptchaAfter = 0 })
	admin := adminToken(e)
	alice := e.AddUser("alice", alicePassword, false)
	key, err := e.App.Accounts.CreateDevKey(context.Background(), alice.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	ipv6 := xff("2001:db8::1")
	for range 20 {
		wantWrong(t, devKeyLogin(e, "alice", "junk", ipv6...))
	}
	wantLocked(t, devKeyLogin(e, "alice", key.Key, xff("2001:db8::2")...), 600) // same /64
	for _, login := range []string{"joe smith", "a/b", "100%", "ünï"} {
		failLogin(t, e, login, 5)
		wantLocked(t, passwordLogin(e, login, badPassword, solved{}), 7200)
	}
	for _, name := range []string{"address:2001:db8::/64", "joe smith", "a/b", "100%", "ünï"} {
		wantOK(t, e.Do("DELETE", "/api/locks/"+url.PathEscape(name), nil, authHeader(admin)...))
		if rows := auditRows(t, e, name, "unlock"); len(rows) != 1 {
			t.Errorf("%d unlocks of %q audited, want 1", len(rows), name)
		}
	}
	wantBody(t, e.Do("GET", "/api/locks", nil, authHeader(admin)...), 200,
		map[string]any{"code": 200, "data": []any{}, "rowCount": 0, "page": 1})
	wantOK(t, devKeyLogin(e, "alice", key.Key, ipv6...))
}

// TestAudit shows the failures, captchas asked, the lock and the unlock of
// one login to admins, newest first, page by page.
func TestAudit(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	e.AddUser("alice", alicePassword, false)
	admin := adminToken(e)
	alice := e.Login("alice", alicePassword)
	start := e.Clock.Now()
	tick := func() { e.Advance(time.Second) }

	wantWrong(t, passwordLogin(e, "alice", badPassword, solved{}))
	tick()
	wantWrong(t, passwordLogin(e, "alice", badPassword, solved{}))
	tick()
	wantCaptchaRequired(t, passwordLogin(e, "alice", badPassword, solved{}))
	tick()
	wantWrongCaptcha(t, passwordLogin(e, "alice", badPassword, solved{id: fetchCaptcha(t, e, "alice").id, answer: noAnswer}))
	tick()
	failLogin(t, e, "alice", 1)
	tick()
	failLogin(t, e, "alice", 1)
	tick()
	failLogin(t, e, "alice", 1) // the 5th: locks
	tick()
	wantOK(t, e.Do("DELETE", "/api/locks/alice", nil, authHeader(admin)...))
	failLogin(t, e, "bob", 1) // another subject

	at := func(s int) string { return start.Add(time.Duration(s) * time.Second).UTC().Format(time.RFC3339) }
	row := func(s int, kind, outcome string) map[string]any {
		addr := "127.0.0.1"
		if kind == "unlock" {
			addr = ""
		}
		return map[string]any{"created_at": at(s), "login": "alice", "address": addr, "kind": kind, "outcome": outcome}
	}
	all := []map[string]any{
		row(7, "unlock", "by admin"),
		row(6, "password", "failure"),
		row(6, "lock", "locked until "+start.Add(6*time.Second+2*time.Hour).UTC().Format(time.RFC3339)),
		row(5, "password", "failure"),
		row(4, "password", "failure"),
		row(3, "captcha", "wrong"),
		row(2, "captcha", "required"),
		row(1, "password", "failure"),
		row(0, "password", "failure"),
	}
	check := func(query string, want []map[string]any, page int) {
		t.Helper()
		r := e.Do("GET", "/api/audit?"+query, nil, authHeader(admin)...)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /api/audit?%s: %d %s", query, r.Status, r.Body)
		}
		// ids are the store's; take them from the answer, newest first
		data, _ := r.JSON(t)["data"].([]any)
		rows := make([]any, len(want))
		last := math.Inf(1)
		for i, w := range want {
			if i >= len(data) {
				break
			}
			id, _ := data[i].(map[string]any)["id"].(float64)
			if id <= 0 || id >= last {
				t.Fatalf("row %d: id %v not positive and decreasing; body %s", i, data[i], r.Body)
			}
			last = id
			full := map[string]any{"id": id}
			for k, v := range w {
				full[k] = v
			}
			rows[i] = full
		}
		wantBody(t, r, 200, map[string]any{"code": 200, "data": rows, "rowCount": len(all), "page": page})
	}
	check("login=alice&page=1", all, 1)
	check("login=Alice&page=1", all, 1) // audit subjects are lower-cased logins
	check("login=alice&page=2&perPage=4", all[4:8], 2)
	check("login=alice&page=3&perPage=4", all[8:], 3)

	wantError(t, e.Do("GET", "/api/audit?login=alice&page=1", nil, authHeader(alice)...), 403, "Forbidden")
	wantError(t, e.Do("GET", "/api/audit?login=alice&page=1", nil), 401, "Not Authorized")
}

// TestFailClosed: with the ephemeral store gone, logins answer 503 and
// nobody gets in unchecked, not even with the right secret.
func TestFailClosed(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	admin, err := e.App.Accounts.UserByLogin(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.App.Accounts.CreateDevKey(context.Background(), admin.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	e.Redis.Close()
	unavailable := map[string]any{"code": 503, "text": "Service Unavailable", "message": "Service Unavailable"}
	wantBody(t, passwordLogin(e, "admin", apptest.AdminPassword, solved{}), 503, unavailable)
	wantBody(t, devKeyLogin(e, "admin", key.Key), 503, unavailable)
}

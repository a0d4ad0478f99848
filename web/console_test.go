package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store"
)

// TestConsole drives every view of the console in both languages, in one
// shared Chromium: each subtest gets its own server and its own browser
// context (cookies, storage).
func TestConsole(t *testing.T) {
	b := browser(t)
	flows := []struct {
		name     string
		run      func(*page)
		settings []func(*config.Config)
	}{
		{"keyboard login with a captcha", keyboardLogin, nil},
		{"language switch is remembered", languageSwitch, nil},
		{"my account", myAccount, nil},
		{"users", manageUsers, nil},
		{"security", security, nil},
		{"clients and tenants", clientsAndTenants, nil},
		{"dev_key approved and claimed once", devKeyApproved, []func(*config.Config){devKeyApprovals}},
		{"dev_key rejected with a remark", devKeyRejected, []func(*config.Config){devKeyApprovals}},
		{"unlock request from the lock message", unlockRequest, nil},
		{"integrations", integrationsStatus, nil},
		{"phone-sized screen", phoneScreen, nil},
	}
	for _, lang := range []string{"en", "zh"} {
		for _, f := range flows {
			t.Run(lang+"/"+f.name, func(t *testing.T) {
				f.run(newPage(t, b, apptest.New(t, f.settings...), lang))
			})
		}
	}
}

// fail makes n wrong password logins for login over the API, solving the
// captcha when one is asked.
func fail(t *testing.T, e *apptest.Env, login string, n int) {
	t.Helper()
	for range n {
		body := map[string]any{"login": login, "password": "wrong-password"}
		r := e.Do("POST", "/api/sessions", body)
		if r.Status == http.StatusForbidden && r.JSON(t)["captcha_required"] == true {
			c := e.Do("GET", "/api/captchas?login="+login, nil).JSON(t)["data"].(map[string]any)
			id := int64(c["captcha_id"].(float64))
			answer, err := e.App.Eph.GetCaptcha(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			body["captcha_id"], body["captcha_str"] = id, answer.Answer
			r = e.Do("POST", "/api/sessions", body)
		}
		if r.Status != http.StatusForbidden || r.JSON(t)["text"] != "Wrong username or password" {
			t.Fatalf("failing %s: %d %s", login, r.Status, r.Body)
		}
	}
}

// apiLogin tells whether a password logs in over the API.
func apiLogin(t *testing.T, e *apptest.Env, login, password string) int {
	t.Helper()
	return e.Do("POST", "/api/sessions", map[string]any{"login": login, "password": password}).Status
}

// keyboardLogin: two failures make the next login ask for a captcha; the
// person uses the keyboard alone: type, Enter, a wrong captcha, the right
// one, then the navigation.
func keyboardLogin(p *page) {
	fail(p.t, p.e, "admin", 2)
	p.open()
	p.waitFocus("#login-name")
	if got := p.eval(`document.documentElement.lang`); got != map[string]string{"en": "en", "zh": "zh-CN"}[p.lang] {
		p.t.Fatalf("the page is in %v, the browser prefers %s", got, p.lang)
	}
	p.keys("admin" + kb.Tab + apptest.AdminPassword + kb.Enter)
	p.waitMessage(p.tr("captcha.needed"))
	p.waitFocus(`#login input[name=captcha_str]`)
	first := p.captchaAnswer("#login")
	p.namedScreenshot("login-captcha")

	p.keys("zzzz" + kb.Enter) // wrong: a new captcha comes, the focus stays on its field
	p.waitMessage(p.tr("captcha.wrong"))
	p.waitFocus(`#login input[name=captcha_str]`)
	answer := p.captchaAnswer("#login")
	if answer == first {
		p.t.Fatalf("the same captcha answer %q twice: no new captcha", answer)
	}
	p.keys(answer + kb.Enter)
	p.visible("#view-account")
	p.waitFocus("#account-title")
	if who := p.text("#who"); who != p.tr("who.admin", "login", "admin") {
		p.t.Fatalf("logged in as %q", who)
	}

	// To the navigation backwards from the heading, and into Users with Enter.
	for range 8 {
		if p.eval(`document.activeElement.matches('#nav-list a[href="#users"]')`) == true {
			break
		}
		p.shiftTab()
	}
	p.keys(kb.Enter)
	p.visible("#view-users")
	p.waitFocus("#users-title")
	p.settled()
	if got := p.eval(`document.querySelector('#nav-list a[aria-current=page]').hash`); got != "#users" {
		p.t.Fatalf("the current link is %v", got)
	}
	if p.eval(`document.cookie.includes("xtra-session")`) == true {
		p.t.Fatal("the page's script can read the session cookie")
	}
	p.run("log out", chromedp.Focus(chromedp.ID("logout")))
	p.keys(kb.Enter)
	p.waitMessage(p.tr("logout.done"))
	p.waitFocus("#login-name")
	p.run("reload", chromedp.Reload())
	p.visible("#view-login")
}

// languageSwitch: the page starts in the browser's language; the switch
// changes every word at once and is remembered after a reload.
func languageSwitch(p *page) {
	other := map[string]string{"en": "zh", "zh": "en"}[p.lang]
	p.open()
	if got := p.text("#login-title"); got != p.tr("login.title") {
		p.t.Fatalf("login title %q, want %q", got, p.tr("login.title"))
	}
	p.run("choose the other language", chromedp.SetValue(chromedp.ID("lang"), other),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("lang").dispatchEvent(new Event("change")); undefined`))
	o := words(p.t, other)
	p.until("the other language", `document.getElementById("login-title").textContent === `+js(o["login.title"]))
	p.run("reload", chromedp.Reload())
	// Both: before the script runs, the page's own words are English and
	// the switch shows its first choice, Chinese.
	p.until("the remembered language", `document.getElementById("lang").value === `+js(other)+
		` && document.getElementById("login-title").textContent === `+js(o["login.title"]))
	if got := p.text(`label[for=login-password]`); got != o["field.password"] {
		p.t.Fatalf("password label %q", got)
	}
}

// myAccount: profile, a dev_key shown once, a password change with a
// captcha that revokes the dev_keys and ends another session.
func myAccount(p *page) {
	p.e.AddUser("alice", "alice-password-1", false)
	other := newPage(p.t, p.ctx, p.e, p.lang) // a second browser, logged in as alice too
	other.login("alice", "alice-password-1")
	p.login("alice", "alice-password-1")
	if info := p.text("#session-info"); !strings.Contains(info, "alice") {
		p.t.Fatalf("session info %q", info)
	}
	if p.eval(`!!document.querySelector('#nav-list a[href="#users"]')`) == true {
		p.t.Fatal("a user who is no admin sees the Users view")
	}

	p.set("#profile-name", "Alice 王")
	p.set("#profile-email", "alice@example.com")
	p.set("#profile-mobile", "13800000001")
	p.click(`#profile button[type=submit]`)
	p.waitMessage(p.tr("profile.saved"))
	u, err := p.e.App.SQL.GetUserByLogin(context.Background(), "alice")
	if err != nil || u.Name != "Alice 王" || u.Email != "alice@example.com" || u.Mobile != "13800000001" {
		p.t.Fatalf("profile saved as %+v (%v)", u, err)
	}

	p.set("#devkey-label", "ci")
	p.click(`#devkey-new button[type=submit]`)
	key := p.shownKey("#devkey-secret")
	p.click("#devkey-secret .secret-copy")
	p.until("a copy message", `[`+js(p.tr("copied"))+`, `+js(p.tr("copy.manual"))+`].includes(document.getElementById("message").textContent)`)
	p.click("#devkey-secret .secret-done")
	p.waitFocus("#devkey-label")
	p.forgotten(key)
	p.namedScreenshot("account")
	if rows := p.rows("#devkeys"); len(rows) != 1 || rows[0][1] != "ci" || !strings.HasPrefix(key, strings.TrimSuffix(rows[0][2], "…")) {
		p.t.Fatalf("dev_keys %v", rows)
	}

	// Two wrong current passwords, then the change needs a captcha.
	for range 2 {
		p.set("#pw-old", "not-it")
		p.set("#pw-new", "alice-password-2")
		p.set("#pw-repeat", "alice-password-2")
		p.click(`#password-form button[type=submit]`)
		p.waitMessage(p.tr("err.wrong_old_password"))
		p.waitFocus("#pw-old")
	}
	p.set("#pw-old", "alice-password-1")
	p.click(`#password-form button[type=submit]`)
	p.waitMessage(p.tr("captcha.needed"))
	p.waitFocus(`#password-form input[name=captcha_str]`)
	p.set(`#password-form input[name=captcha_str]`, p.captchaAnswer("#password-form"))
	p.click("#pw-revoke")
	p.click(`#password-form button[type=submit]`)
	p.waitMessage(p.tr("password.changed_revoked"))
	p.waitFocus("#password-title")
	if got := p.note("#devkeys"); got != p.tr("devkeys.none") {
		p.t.Fatalf("dev_keys after the change: %q", got)
	}
	if r := p.e.Do("GET", "/api/users/me", nil, "X-XTRA-AUTH-ID", key); r.Status != 401 {
		p.t.Fatalf("the revoked key answers %d", r.Status)
	}
	if s := apiLogin(p.t, p.e, "alice", "alice-password-2"); s != 200 {
		p.t.Fatalf("the new password: %d", s)
	}

	// The other browser's session has ended: its next request says so.
	other.click(`#nav-list a[href="#account"]`)
	other.visible("#view-login")
	other.waitMessage(other.tr("session.ended"))
	other.waitFocus("#login-name")
	// This one stays.
	p.run("reload", chromedp.Reload())
	p.visible("#view-account")
}

// manageUsers: search and pages, create with a made-up password, disable
// and enable, reset with a typed password, make and drop admin, the last
// super admin refused and explained, delete with a confirmation.
func manageUsers(p *page) {
	ctx := context.Background()
	for i := 1; i <= 25; i++ {
		u := store.User{Login: fmt.Sprintf("u%02d", i), Name: fmt.Sprintf("User %d", i), Type: store.UserTypeNormal,
			Disabled: i%7 == 3, CreatedAt: p.e.Clock.Now()}
		if i%4 == 1 {
			u.Type = store.UserTypeAgent
		}
		if _, err := p.e.App.SQL.CreateUser(ctx, u); err != nil {
			p.t.Fatal(err)
		}
	}
	p.login("admin", apptest.AdminPassword)
	p.view("users")
	p.namedScreenshot("console")
	if rows := p.rows("#users"); len(rows) != 20 {
		p.t.Fatalf("%d rows on the first page, want 20", len(rows))
	}
	if got := p.text("#users-pager span"); got != p.tr("pager.status", "page", "1", "pages", "2", "count", "26") {
		p.t.Fatalf("pager says %q", got)
	}
	// A failed request leaves no spinner and no stale rows: the error
	// and Try again, which works once the store is back.
	p.e.Redis.Close()
	p.click(`#users-pager button[data-page="2"]`)
	p.until("the error in the table", `document.querySelector("#users tr.note") && document.querySelector("#users tr.note").textContent.startsWith(`+js(p.tr("err.internal"))+`)`)
	if busy := p.eval(`!!document.querySelector(".table-wrap[aria-busy], .table-wrap.loading") || document.querySelectorAll("#users tr[data-login], #users-pager button").length`); busy != false && busy != 0.0 {
		p.t.Fatalf("after a failure the table is busy or shows rows or pages: %v", busy)
	}
	if err := p.e.Redis.Restart(); err != nil {
		p.t.Fatal(err)
	}
	p.click(`#users tr.note button`)
	p.until("the second page", `document.querySelectorAll("#users tr[data-login]").length === 6`)
	if rows := p.rows("#users"); rows[5][1] != "u25" || p.text("#users-pager span") != p.tr("pager.status", "page", "2", "pages", "2", "count", "26") {
		p.t.Fatalf("second page %v", rows)
	}
	p.set("#uf-login", "u0")
	p.click(`#user-filter button[type=submit]`)
	p.waitFocus("#users-region")
	if rows := p.rows("#users"); len(rows) != 9 || rows[0][1] != "u01" {
		p.t.Fatalf("search u0: %v", rows)
	}
	p.click(`#user-filter button[type=reset]`)
	p.until("all users again", `document.querySelectorAll("#users tr").length === 20`)

	// Create bob with a made-up password, shown once.
	p.click("#user-add")
	p.visible("#user-dialog")
	p.waitFocus("#ud-login")
	p.set("#ud-login", "bob")
	p.set("#ud-name", "Bob 李")
	p.set("#ud-email", "bob@example.com")
	p.namedScreenshot("user-dialog")
	p.click(`#user-form button[type=submit]`)
	p.waitMessage(p.tr("users.created", "login", "bob"))
	p.waitFocus("#user-secret .secret-title")
	password := p.text("#user-secret .secret-value")
	if s := apiLogin(p.t, p.e, "bob", password); len(password) != 16 || s != 200 {
		p.t.Fatalf("made-up password %q logs in with %d", password, s)
	}
	p.click("#user-secret .secret-done")
	p.waitFocus("#user-add")
	p.set("#uf-login", "bob")
	p.click(`#user-filter button[type=submit]`)
	p.until("bob alone", `document.querySelectorAll("#users tr[data-login]").length === 1`)
	row := `#users tr[data-login="bob"] `

	p.click(row + `button[data-action="disable"]`)
	p.waitMessage(p.tr("users.disabled_done", "login", "bob"))
	p.waitFocus(row + `button[data-action="enable"]`)
	if s := apiLogin(p.t, p.e, "bob", password); s != 403 {
		p.t.Fatalf("disabled bob logs in with %d", s)
	}
	if got := p.rows("#users")[0][5]; got != p.tr("users.disabled") {
		p.t.Fatalf("status %q", got)
	}
	p.keys(kb.Enter) // Enable, from the keyboard
	p.waitMessage(p.tr("users.enabled_done", "login", "bob"))

	p.click(row + `button[data-action="reset"]`)
	p.visible("#reset-dialog")
	p.click(`#reset-form input[value=type]`)
	p.set("#reset-password", "typed-Passw0rd")
	p.click(`#reset-form button[type=submit]`)
	p.waitMessage(p.tr("users.reset_done", "login", "bob"))
	p.waitFocus(row + `button[data-action="reset"]`)
	if s := apiLogin(p.t, p.e, "bob", "typed-Passw0rd"); s != 200 {
		p.t.Fatalf("the typed password logs in with %d", s)
	}
	if p.eval(`document.getElementById("user-secret").hidden`) != true {
		p.t.Fatal("a typed password is shown back")
	}

	p.click(row + `button[data-action="edit"]`)
	p.visible("#user-dialog")
	p.waitFocus("#ud-name")
	if got := p.eval(`document.getElementById("ud-email").value`); got != "bob@example.com" {
		p.t.Fatalf("the edit form holds %v", got)
	}
	p.set("#ud-name", "Robert")
	p.click(`#user-form button[type=submit]`)
	p.waitMessage(p.tr("users.saved", "login", "bob"))

	p.click(row + `button[data-action="make_admin"]`)
	p.waitMessage(p.tr("users.made_admin", "login", "bob"))
	p.click(row + `button[data-action="drop_admin"]`)
	p.waitMessage(p.tr("users.dropped_admin", "login", "bob"))

	// The only super admin cannot disable itself: refused and explained.
	p.set("#uf-login", "admin")
	p.click(`#user-filter button[type=submit]`)
	p.until("admin alone", `document.querySelectorAll("#users tr[data-login]").length === 1`)
	p.click(`#users tr[data-login="admin"] button[data-action="disable"]`)
	p.waitMessage(p.tr("err.last_super_admin_explained"))

	p.set("#uf-login", "bob")
	p.click(`#user-filter button[type=submit]`)
	p.until("bob alone", `document.querySelectorAll("#users tr[data-login]").length === 1`)
	p.click(row + `button[data-action="delete"]`)
	p.confirm(false)
	p.waitFocus(row + `button[data-action="delete"]`)
	p.click(row + `button[data-action="delete"]`)
	p.confirm(true)
	p.waitMessage(p.tr("users.deleted", "login", "bob"))
	p.gone(`#users tr[data-login="bob"]`)
	if got := p.note("#users"); got != p.tr("users.none") {
		p.t.Fatalf("after the delete the table says %q", got)
	}
	if _, err := p.e.App.SQL.GetUserByLogin(ctx, "bob"); err == nil {
		p.t.Fatal("bob is still in the store")
	}
}

// security: a locked login shown with its time left and unlocked; the
// audit trail filtered by login, kind and time, and paged.
func security(p *page) {
	ctx := context.Background()
	p.e.AddUser("carol", "carol-password", false)
	fail(p.t, p.e, "carol", 5)
	for i := range 25 {
		ev := store.AuditEvent{At: p.e.Clock.Now().Add(-time.Duration(i) * time.Minute), Subject: "zed", Address: "192.0.2.9", Kind: "password", Outcome: "failure"}
		if err := p.e.App.SQL.AddAuditEvent(ctx, ev); err != nil {
			p.t.Fatal(err)
		}
	}
	p.login("admin", apptest.AdminPassword)
	p.view("security")
	var carol []string
	for _, r := range p.rows("#locks") {
		if r[0] == "carol" {
			carol = r
		}
	}
	left := map[string]string{"en": "for another 2 hours)", "zh": "还剩 2小时）"}[p.lang]
	if carol == nil || carol[1] != "5" || !strings.HasSuffix(carol[3], left) {
		p.t.Fatalf("carol's lock %v, want 5 failures and %q", carol, left)
	}
	p.namedScreenshot("security")
	p.click(`#locks tr[data-login="carol"] button[data-action="unlock"]`)
	p.waitMessage(p.tr("locks.unlocked", "login", "carol"))
	p.waitFocus("#locks-region")
	p.gone(`#locks tr[data-login="carol"]`)
	if s := apiLogin(p.t, p.e, "carol", "carol-password"); s != 200 {
		p.t.Fatalf("unlocked carol logs in with %d", s)
	}

	p.set("#af-login", "carol")
	p.run("pick the kind", chromedp.SetValue(chromedp.ID("af-kind"), "unlock"))
	p.click(`#audit-filter button[type=submit]`)
	p.waitFocus("#audit-region")
	rows := p.rows("#audit")
	if len(rows) != 1 || rows[0][2] != p.tr("kind.unlock") || rows[0][3] != p.tr("outcome.by", "login", "admin") {
		p.t.Fatalf("unlocks of carol: %v", rows)
	}
	// Times are local: 03:04:05 UTC is 22:04 in New York, 11:04 in Shanghai.
	hour := map[string]string{"en": "10:04:05 PM", "zh": "11:04:05"}[p.lang]
	if !strings.Contains(rows[0][0], hour) {
		p.t.Fatalf("time %q, want local %s", rows[0][0], hour)
	}
	p.run("pick the kind", chromedp.SetValue(chromedp.ID("af-kind"), "password"))
	p.click(`#audit-filter button[type=submit]`)
	p.until("carol's failures", `document.querySelectorAll("#audit tr:not(.note)").length === 5`)

	p.set("#af-login", "zed")
	p.click(`#audit-filter button[type=submit]`)
	p.until("zed's first page", `document.querySelectorAll("#audit tr:not(.note)").length === 20`)
	p.click(`#audit-pager button[data-page="2"]`)
	p.until("zed's second page", `document.querySelectorAll("#audit tr:not(.note)").length === 5`)

	// The window [now - 10 min, now - 5 min) holds zed's events 5 to 9
	// minutes old; the browser's local time is what the person types.
	local := func(d time.Duration) string {
		return p.eval(`(() => { const d = new Date(` + fmt.Sprint(p.e.Clock.Now().Add(d).UnixMilli()) + `);
		  const z = (n) => String(n).padStart(2, "0");
		  return d.getFullYear() + "-" + z(d.getMonth() + 1) + "-" + z(d.getDate()) + "T" + z(d.getHours()) + ":" + z(d.getMinutes()); })()`).(string)
	}
	p.set("#af-from", local(-10*time.Minute+time.Second))
	p.set("#af-to", local(-5*time.Minute+time.Second))
	p.click(`#audit-filter button[type=submit]`)
	p.until("zed's window", `document.querySelectorAll("#audit tr:not(.note)").length === 5`)
	p.set("#af-from", local(time.Hour))
	p.set("#af-to", local(2*time.Hour))
	p.click(`#audit-filter button[type=submit]`)
	p.until("nothing in the future", `document.querySelector("#audit tr.note") && document.querySelector("#audit tr.note").textContent === `+js(p.tr("audit.none")))
}

// clientsAndTenants: a tenant made, a client with sudo in it whose secret
// is shown once and works, a taken id refused, the client removed.
func clientsAndTenants(p *page) {
	p.login("admin", apptest.AdminPassword)
	p.view("clients")
	p.set("#tenant-code", "acme")
	p.set("#tenant-name", "Acme 公司")
	p.click(`#tenant-new button[type=submit]`)
	p.waitMessage(p.tr("tenants.created", "code", "acme"))
	p.visible(`#tenants tr[data-code="acme"]`)
	p.visible(`#client-tenant-boxes input[value="acme"]`)

	p.set("#client-id", "ci-bot")
	p.click("#client-sudo")
	p.click(`#client-tenant-boxes input[value="acme"]`)
	p.click(`#client-new button[type=submit]`)
	p.waitFocus("#client-secret .secret-title")
	secret := p.text("#client-secret .secret-value")
	r := p.e.Do("POST", "/oauth2/token", "grant_type=client_credentials&client_id=ci-bot&client_secret="+secret)
	if r.Status != 200 {
		p.t.Fatalf("the secret the page showed: %d %s", r.Status, r.Body)
	}
	p.namedScreenshot("clients")
	row := p.rows(`#clients`)
	if len(row) != 1 || row[0][0] != "ci-bot" || row[0][1] != p.tr("answer.yes") || row[0][2] != "acme" {
		p.t.Fatalf("clients %v", row)
	}
	p.run("reload", chromedp.Reload())
	p.visible("#view-clients")
	p.settled()
	p.forgotten(secret)

	p.set("#client-id", "ci-bot")
	p.click(`#client-new button[type=submit]`)
	p.waitMessage(p.tr("err.client_taken"))
	p.waitFocus("#client-id")

	p.click(`#clients tr[data-id="ci-bot"] button[data-action="remove"]`)
	p.confirm(true)
	p.waitMessage(p.tr("clients.removed", "id", "ci-bot"))
	if got := p.note("#clients"); got != p.tr("clients.none") {
		p.t.Fatalf("clients after the removal: %q", got)
	}
}

// phoneScreen: every view fits a phone's width without scrolling the page
// sideways (wide tables scroll inside their own box).
func phoneScreen(p *page) {
	p.run("a phone", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile))
	p.login("admin", apptest.AdminPassword)
	for _, id := range []string{"account", "requests", "users", "security", "clients"} {
		p.view(id)
		p.namedScreenshot("phone-" + id)
		if w := p.eval(`document.documentElement.scrollWidth - window.innerWidth`); w.(float64) > 0 {
			p.t.Fatalf("%s is %v px wider than the phone", id, w)
		}
	}
}
